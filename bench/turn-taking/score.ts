import { type Spread, spread } from '../latency/report.js';
import type { Condition } from './conditions.js';
import type { Turn } from './corpus.js';
import type { VadSetting } from './replay.js';

/**
 * How the end of a turn is decided: `vad`, a fixed delay after the VAD's end of speech;
 * `vad+policy`, the agent's endpointing policy (agent/session/endpointing-policy.ts) waiting longer
 * after a word that needs more; `eot`, the audio end-of-turn model choosing between a short and a
 * long delay; `eot+policy`, the model with the policy choosing the delays from the words.
 */
export type Detector = 'vad' | 'vad+policy' | 'eot' | 'eot+policy';

/** A detector setting: the VAD's and the endpointing delays after it. */
export interface TurnSetting extends VadSetting {
  detector: Detector;
  /** The fixed delay (`vad`), or the delay when the model says the caller is done. */
  endpointingDelayMs: number;
  /** `eot`, `eot+policy`: the delay when the model says the caller is not done. */
  unsureDelayMs?: number;
  /** `*+policy`: the delay after a word that needs more. */
  unfinishedDelayMs?: number;
  /** `eot*`: the model's probability below which the caller is not done. */
  modelThreshold?: number;
}

/** What callers experienced with one setting under one condition. */
export interface SettingResult {
  condition: Condition;
  setting: TurnSetting;
  turns: number;
  /** Turns in which the agent would have started answering in one of the caller's pauses. */
  falseCutOffs: number;
  /** Caller's last word → the agent decides the turn is over, for the turns not cut off. */
  delay?: Spread;
  /** Turns never declared over (the VAD never heard the end, or heard no speech at all). */
  missed: number;
}

/** How one turn went: cut off in a pause, ended after the caller finished (with the delay), or never ended. */
export type TurnOutcome = { kind: 'cut-off' } | { kind: 'ended'; delayMs: number } | { kind: 'missed' };

export function turnOutcome(turn: Turn, decisions: number[]): TurnOutcome {
  const lastPieceStart = turn.speech.at(-1)![0];
  if (decisions.some((d) => d < lastPieceStart)) return { kind: 'cut-off' };
  const decided = decisions.find((d) => d >= turn.endMs);
  return decided === undefined ? { kind: 'missed' } : { kind: 'ended', delayMs: decided - turn.endMs };
}

export function summarizeOutcomes(condition: Condition, setting: TurnSetting, outcomes: TurnOutcome[]): SettingResult {
  const delays = outcomes.flatMap((o) => (o.kind === 'ended' ? [o.delayMs] : []));
  return {
    condition,
    setting,
    turns: outcomes.length,
    falseCutOffs: outcomes.filter((o) => o.kind === 'cut-off').length,
    delay: spread(delays),
    missed: outcomes.filter((o) => o.kind === 'missed').length,
  };
}

export const falseCutOffRate = (r: SettingResult) => r.falseCutOffs / r.turns;

/** The settings no other setting beats on both false cut-offs and median delay, by rising delay. */
export function frontier(results: SettingResult[]): SettingResult[] {
  const usable = results.filter((r) => r.delay && r.missed === 0).sort((a, b) => a.delay!.p50 - b.delay!.p50 || falseCutOffRate(a) - falseCutOffRate(b));
  const out: SettingResult[] = [];
  for (const r of usable) if (out.length === 0 || falseCutOffRate(r) < falseCutOffRate(out.at(-1)!)) out.push(r);
  return out;
}

/** Acceptable false cut-off rate for the choice below: the target for clean speech. */
export const CHOICE_MAX_FALSE_CUT_OFFS = 0.05;

/** The chosen setting for a condition: the quickest (median delay) with at most `maxFalseCutOffs` cut off and none missed. */
export function choose(results: SettingResult[], maxFalseCutOffs = CHOICE_MAX_FALSE_CUT_OFFS): SettingResult | undefined {
  return frontier(results).find((r) => falseCutOffRate(r) <= maxFalseCutOffs);
}
