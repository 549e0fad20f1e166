import { type Spread, spread } from '../shared/spread.js';
import type { Turn } from './corpus.js';

/** How one turn went: cut off (the agent would have started before the caller finished), ended after them (with the delay), or never ended. */
export type TurnOutcome = { kind: 'cut-off' } | { kind: 'ended'; delayMs: number } | { kind: 'missed' };

/** From the framework's decisions (ms of the turn's audio): any before the caller's last word is a cut-off. */
export function turnOutcome(turn: Pick<Turn, 'endMs'>, decisions: number[]): TurnOutcome {
  if (decisions.some((d) => d < turn.endMs)) return { kind: 'cut-off' };
  const decided = decisions[0];
  return decided === undefined ? { kind: 'missed' } : { kind: 'ended', delayMs: decided - turn.endMs };
}

/** A rate with its 95 % Wilson score interval. */
export interface Rate {
  count: number;
  of: number;
  low: number;
  high: number;
}

export function rate(count: number, of: number): Rate {
  if (of === 0) return { count, of, low: 0, high: 1 };
  const z = 1.96;
  const p = count / of;
  const centre = (p + (z * z) / (2 * of)) / (1 + (z * z) / of);
  const half = (z * Math.sqrt((p * (1 - p)) / of + (z * z) / (4 * of * of))) / (1 + (z * z) / of);
  return { count, of, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** What callers experienced over a set of turns. */
export interface OutcomeSummary {
  turns: number;
  /** Turns the agent would have answered in one of the caller's pauses. */
  cutOffs: Rate;
  /** Turns ended after the caller finished (not cut off, not missed). */
  ended: Rate;
  /** Caller's last word → the turn declared over, for the turns ended. */
  delay?: Spread;
  missed: number;
}

export function summarize(outcomes: TurnOutcome[]): OutcomeSummary {
  const delays = outcomes.flatMap((o) => (o.kind === 'ended' ? [o.delayMs] : []));
  return {
    turns: outcomes.length,
    cutOffs: rate(outcomes.filter((o) => o.kind === 'cut-off').length, outcomes.length),
    ended: rate(delays.length, outcomes.length),
    delay: spread(delays),
    missed: outcomes.filter((o) => o.kind === 'missed').length,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
/** `3.2 % (1.5–6.4)` */
export const showRate = (r: Rate) => `${pct(r.count / Math.max(1, r.of))} % (${pct(r.low)}–${pct(r.high)})`;
