import { InferenceRunner } from '@livekit/agents';
import { installedModelPath } from './model-file.js';
import { type TextEndOfTurnScore, TextEndOfTurnScorer } from './scorer.js';

/** The method the job processes ask the worker's inference process for (text-end-of-turn.ts). */
export const TEXT_END_OF_TURN_METHOD = 'voice_agent_text_eot';

export interface TextEndOfTurnRequest {
  /** What the agent said last, if anything. */
  agentText?: string;
  /** The caller's words so far. */
  words: string;
}

/**
 * Runs in the worker's shared inference process (as the framework's own end-of-turn model does),
 * so the model loads once per host instead of once per call. The inference process makes it with
 * no arguments and calls `initialize()` once; scores are taken one at a time, in arrival order, on
 * the scorer's one sequence (a call's scores mostly extend the prompt of its last one).
 */
export default class TextEndOfTurnRunner extends InferenceRunner<TextEndOfTurnRequest, TextEndOfTurnScore> {
  #scorer?: TextEndOfTurnScorer;

  async initialize(): Promise<void> {
    this.#scorer = await TextEndOfTurnScorer.load({ modelPath: process.env.TEXT_END_OF_TURN_MODEL ?? installedModelPath() });
  }

  run(request: TextEndOfTurnRequest): Promise<TextEndOfTurnScore> {
    if (!this.#scorer) return Promise.reject(new Error('text end-of-turn runner not initialized'));
    return this.#scorer.score(request.agentText, request.words);
  }

  async close(): Promise<void> {
    await this.#scorer?.close();
  }
}
