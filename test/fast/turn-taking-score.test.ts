import { describe, expect, it } from 'vitest';
import type { Turn } from '../../bench/turn-taking/corpus.js';
import { endOfTurnDecisions } from '../../bench/turn-taking/replay.js';
import { choose, frontier, summarizeOutcomes, turnOutcome } from '../../bench/turn-taking/score.js';

/** A caller who says two pieces with a 900 ms pause between them: 1000-2000, then 2900-3600 ms. */
const TURN = { speech: [[1000, 2000], [2900, 3600]], endMs: 3600 } as Turn;
/** What a VAD with 300 ms of minimum silence reports of it (the end of each stretch 300 ms after its speech). */
const SEGMENTS = [
  { start: 1050, end: 2300, silence: 300 },
  { start: 2950, end: 3900, silence: 300 },
];

describe('the turn-taking replay', () => {
  it('decides at the later of the VAD end and the endpointing delay after the last speech; speech again cancels', () => {
    expect(endOfTurnDecisions(SEGMENTS, 0)).toEqual([2300, 3900]);
    expect(endOfTurnDecisions(SEGMENTS, 500)).toEqual([2500, 4100]);
    // 1000 ms after 2000 is 3000: the caller has started again (2950), so the pause does not end the turn.
    expect(endOfTurnDecisions(SEGMENTS, 1000)).toEqual([4600]);
    expect(endOfTurnDecisions([{ start: 1000 }], 500)).toEqual([]);
  });

  it("scores a decision in the caller's pause as a cut-off, otherwise the delay after the last word, or a miss", () => {
    expect(turnOutcome(TURN, [2500, 4100])).toEqual({ kind: 'cut-off' });
    expect(turnOutcome(TURN, [4600])).toEqual({ kind: 'ended', delayMs: 1000 });
    expect(turnOutcome(TURN, [])).toEqual({ kind: 'missed' });
  });

  it('keeps the settings nothing beats on both axes, and chooses the quickest with few cut-offs', () => {
    const result = (endpointingDelayMs: number, cut: number, delay: number) =>
      summarizeOutcomes('clean', { detector: 'vad', activationThreshold: 0.5, minSilenceDurationMs: 300, endpointingDelayMs }, [
        ...Array.from({ length: cut }, () => ({ kind: 'cut-off' as const })),
        ...Array.from({ length: 10 - cut }, () => ({ kind: 'ended' as const, delayMs: delay })),
      ]);
    const quick = result(0, 5, 300);
    const slowerWorse = result(300, 6, 500);
    const careful = result(800, 1, 900);
    const safest = result(1600, 0, 1700);
    expect(frontier([safest, slowerWorse, careful, quick])).toEqual([quick, careful, safest]);
    expect(choose([safest, slowerWorse, careful, quick], 0.1)).toBe(careful);
    expect(choose([safest, slowerWorse, careful, quick])).toBe(safest);
  });
});
