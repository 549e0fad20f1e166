import { describe, expect, it } from 'vitest';
import { auc, fitLogistic } from '../../bench/turn-taking/fit.js';
import { type Detector, frameworkDecisions } from '../../bench/turn-taking/framework-replay.js';
import { rate, turnOutcome } from '../../bench/turn-taking/score.js';
import type { SttUtterance } from '../../bench/turn-taking/stt-replay.js';
import { prng } from '../../harness/speech/prng.js';

/** A caller who says two pieces with a 900 ms pause between them: 1000-2000, then 2900-3600 ms. */
const END_MS = 3600;
/** What a VAD with 300 ms of minimum silence reports of it (the end of each stretch 300 ms after its speech). */
const SEGMENTS = [
  { start: 1050, end: 2300, silence: 300 },
  { start: 2950, end: 3900, silence: 300 },
];
/** The STT's finals: each piece's words 100 ms after the VAD's end of speech. */
const FINALS: SttUtterance[] = [
  { fromMs: 0, committedAt: 2300, finalAt: 2400, text: 'so my question is' },
  { fromMs: 2300, committedAt: 3900, finalAt: 4000, text: 'do you deliver on sundays' },
];
const fixed =
  (delayMs: number, latencyMs = 0): Detector =>
  () => ({ delayMs, latencyMs });

describe('the turn-taking replay', () => {
  it('decides once the words are in, at the later of then and the delay after the last speech; speech again cancels', () => {
    // The VAD's end comes before any words: the final decides (with a short delay, at once).
    expect(frameworkDecisions(SEGMENTS, FINALS, fixed(0))).toEqual([2400, 4000]);
    expect(frameworkDecisions(SEGMENTS, FINALS, fixed(500))).toEqual([2500, 4100]);
    // 1000 ms after 2000 is 3000: the caller has started again (2950, heard a frame later), so the pause does not end the turn.
    expect(frameworkDecisions(SEGMENTS, FINALS, fixed(1000))).toEqual([4600]);
    // A detector's time to answer delays the decision past the trigger.
    expect(frameworkDecisions(SEGMENTS, FINALS, fixed(0, 80))).toEqual([2480, 4080]);
    // No words, no decision.
    expect(frameworkDecisions([{ start: 1000 }], [], fixed(500))).toEqual([]);
  });

  it('tells the detector the words so far, and whether a transcript is owed', () => {
    const seen: { transcript: string; owed: boolean; source: string }[] = [];
    frameworkDecisions(SEGMENTS, FINALS, (t) => {
      seen.push({ transcript: t.transcript, owed: t.owed, source: t.source });
      return { delayMs: Number.POSITIVE_INFINITY, latencyMs: 0 };
    });
    expect(seen).toEqual([
      { transcript: 'so my question is', owed: false, source: 'stt' },
      // The second pause's end comes with the first piece's words only, while the second piece's are being decoded.
      { transcript: 'so my question is', owed: true, source: 'vad' },
      { transcript: 'so my question is do you deliver on sundays', owed: false, source: 'stt' },
    ]);
  });

  it("scores a decision before the caller's last word as a cut-off, otherwise the delay after it, or a miss", () => {
    expect(turnOutcome({ endMs: END_MS }, [2500, 4100])).toEqual({ kind: 'cut-off' });
    expect(turnOutcome({ endMs: END_MS }, [4600])).toEqual({ kind: 'ended', delayMs: 1000 });
    expect(turnOutcome({ endMs: END_MS }, [])).toEqual({ kind: 'missed' });
  });

  it('gives each rate its 95 % Wilson interval', () => {
    // 3 cut-offs in 61 turns: the last round's figure, 1.7-13.5 %.
    const r = rate(3, 61);
    expect(r.low).toBeCloseTo(0.017, 3);
    expect(r.high).toBeCloseTo(0.135, 3);
    expect(rate(0, 200).high).toBeCloseTo(0.0188, 3);
  });

  it('fits a logistic model that recovers the weights the data were drawn with', () => {
    const random = prng(3);
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const a = random() * 4 - 2;
      const b = random() * 4 - 2;
      x.push([a, b]);
      y.push(random() < 1 / (1 + Math.exp(-(0.5 + 2 * a - 1 * b))) ? 1 : 0);
    }
    const [w0, w1, w2] = fitLogistic(x, y);
    expect(w0).toBeCloseTo(0.5, 0);
    expect(w1).toBeCloseTo(2, 0);
    expect(w2).toBeCloseTo(-1, 0);
    expect(auc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(auc([0.1, 0.8, 0.3, 0.9], [1, 1, 0, 0])).toBe(0.25);
  });
});
