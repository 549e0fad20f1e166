import type { LocalStack } from '../../harness/stack/local-stack.js';
import { placeBenchCall } from '../shared/bench-call.js';
import { runCallerSession } from '../shared/caller-session.js';
import type { CorpusUtterance } from '../shared/corpus.js';
import { minutes } from './format.js';

/* The soak's callers: calls one after another, staggered, each a real WebRTC call through the stack. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Caller i starts i × this after the first, so calls overlap at different phases instead of starting and ending together. */
export const STAGGER_MS = 5_000;
/** After a lost call: a stack that refuses every call would otherwise be called in a tight loop. */
export const LOST_BACKOFF_MS = 2_000;

export interface CallOutcome {
  caller: number;
  /** When it was placed, seconds since the calls began. */
  startS: number;
  seconds: number;
  /** Why it counts as lost (it threw, or a question went unanswered); absent when it completed. */
  lost?: string;
}

/** What the caller loops share: where to call, until when, and what happened. */
export interface CallRun {
  stack: LocalStack;
  agentName: string;
  t0: number;
  /** Calls are placed until then; brought forward if the worker dies. */
  endAt: number;
  turns: number;
  nextUtterances: (n: number) => CorpusUtterance[];
  inFlight: number;
  outcomes: CallOutcome[];
}

/** The next `n` items each time, going round `items`: every call asks different questions. */
export function rotation<T>(items: readonly T[]): (n: number) => T[] {
  let next = 0;
  return (n) => Array.from({ length: n }, () => items[next++ % items.length]!);
}

export async function oneCall(caller: number, run: CallRun): Promise<CallOutcome> {
  const startedAt = Date.now();
  const utterances = run.nextUtterances(run.turns);
  let lost: string | undefined;
  run.inFlight++;
  try {
    const session = await placeBenchCall(run.stack, run.agentName);
    try {
      const { unanswered } = await runCallerSession(session, utterances);
      if (unanswered.length) lost = `${unanswered.length} of ${utterances.length} questions unanswered`;
    } finally {
      await session.hangUp();
    }
  } catch (e) {
    lost = (e as Error).message;
  } finally {
    run.inFlight--;
  }
  return { caller, startS: (startedAt - run.t0) / 1000, seconds: (Date.now() - startedAt) / 1000, lost };
}

/** One caller: calls back to back until the end; a lost call is logged and the next one placed. */
export async function callerLoop(caller: number, run: CallRun): Promise<void> {
  await sleep(caller * STAGGER_MS);
  while (Date.now() < run.endAt) {
    const outcome = await oneCall(caller, run);
    run.outcomes.push(outcome);
    if (outcome.lost) {
      console.log(`  lost call: caller ${caller}, placed at t=${minutes(outcome.startS)} min: ${outcome.lost}`);
      await sleep(LOST_BACKOFF_MS);
    }
  }
}
