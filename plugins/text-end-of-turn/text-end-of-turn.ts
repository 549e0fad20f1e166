import { extname } from 'node:path';
import { getJobContext, InferenceRunner } from '@livekit/agents';
import { TEXT_END_OF_TURN_METHOD, type TextEndOfTurnRequest } from './runner.js';
import type { TextEndOfTurnScore } from './scorer.js';

/**
 * The text end-of-turn score of a call, asked of the worker's inference process (runner.ts). The
 * worker registers the runner before it starts (`registerTextEndOfTurnRunner`), so the inference
 * process it spawns loads the model once for every call it serves.
 */
export class TextEndOfTurn {
  /** The score of `words` after the agent said `agentText`. */
  async score(agentText: string | undefined, words: string): Promise<TextEndOfTurnScore> {
    const request: TextEndOfTurnRequest = { agentText, words };
    return (await getJobContext().inferenceExecutor.doInference(TEXT_END_OF_TURN_METHOD, request)) as TextEndOfTurnScore;
  }
}

/** Call in the worker's main process before it starts: its inference process will load the model. */
export function registerTextEndOfTurnRunner(): void {
  if (InferenceRunner.registeredRunners[TEXT_END_OF_TURN_METHOD]) return;
  // Same extension as this file: `.ts` under tsx, `.js` once compiled.
  InferenceRunner.registerRunner(TEXT_END_OF_TURN_METHOD, new URL(`./runner${extname(import.meta.url)}`, import.meta.url).toString());
}
