import type { SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import type { CallerTurn } from '../latency/turn-timeline.js';
import type { CorpusUtterance } from './corpus.js';

/** performance.now() → epoch ms, the clock of the local providers' request log. */
const epoch = (t: number) => performance.timeOrigin + t;

export interface CallerSessionResult {
  turns: CallerTurn[];
  /** Questions the agent did not answer within the caller's timeout. */
  unanswered: string[];
}

/**
 * One caller's side of a benchmark call: hears the greeting, then asks each utterance once the agent
 * is quiet and times the reply as heard. A reply that never comes is recorded, not fatal, so one lost
 * turn does not void a whole run.
 */
export async function runCallerSession(caller: SimulatedCaller, utterances: readonly CorpusUtterance[]): Promise<CallerSessionResult> {
  await caller.waitForAgent();
  await caller.hearNextSpeech(0);
  const turns: CallerTurn[] = [];
  const unanswered: string[] = [];
  for (const u of utterances) {
    await caller.waitUntilAgentQuiet();
    const speechEndAt = await caller.speak(u);
    try {
      const reply = await caller.hearNextSpeech(speechEndAt);
      turns.push({
        text: u.text,
        voice: u.voice,
        speechStartAt: epoch(speechEndAt - u.seconds * 1000),
        speechEndAt: epoch(speechEndAt),
        heardAt: epoch(reply.startedAt),
      });
    } catch {
      unanswered.push(u.text);
    }
  }
  return { turns, unanswered };
}
