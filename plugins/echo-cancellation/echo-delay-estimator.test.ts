import { describe, expect, it } from 'vitest';
import { prng } from '../../harness/speech/prng.js';
import { EchoDelayEstimator } from './echo-delay-estimator.js';

/*
 * Energy envelopes on one clock, 10 ms a frame as a call delivers them: the agent's speech (bursts
 * of syllables with pauses) played out, and the caller's audio, which holds its echo some time later.
 */
const FRAME_MS = 10;

/** Per-frame energy of speech-like audio: syllables of 80..250 ms with 30..300 ms gaps, random loudness. */
function speechEnvelope(frames: number, seed: number): number[] {
  const random = prng(seed);
  const out: number[] = [];
  while (out.length < frames) {
    const level = 1e7 * (0.2 + random());
    for (let i = 0, n = 8 + Math.floor(random() * 17); i < n; i++) out.push(level * (0.5 + random()));
    for (let i = 0, n = 3 + Math.floor(random() * 27); i < n; i++) out.push(0);
  }
  return out.slice(0, frames);
}

/** Feeds `seconds` of far frames and near frames (echo at `delayMs` and `gain`, plus `nearExtra`), updating twice a second. */
function run(opts: { delayMs: number; gain: number; seconds: number; nearExtra?: number[]; jitterMs?: number }) {
  const estimator = new EchoDelayEstimator();
  const frames = (opts.seconds * 1000) / FRAME_MS;
  const far = speechEnvelope(frames, 1);
  const random = prng(9);
  const lagFrames = opts.delayMs / FRAME_MS;
  const estimates = [];
  for (let i = 0; i < frames; i++) {
    const now = 1_000_000 + i * FRAME_MS;
    estimator.addFar(now, far[i]!);
    const echo = i >= lagFrames ? far[i - lagFrames]! * opts.gain * opts.gain : 0;
    // Near frames arrive with network jitter: each a little late, by up to jitterMs.
    estimator.addNear(now + random() * (opts.jitterMs ?? 0), echo + (opts.nearExtra?.[i] ?? 0) + 1e3 * random());
    if (i % 50 === 49) estimates.push(estimator.update(now));
  }
  return { final: estimator.current, estimates };
}

describe('EchoDelayEstimator', () => {
  for (const delayMs of [60, 450, 900]) {
    it(`finds an echo ${delayMs} ms after playout, 20 dB down, within 20 ms`, () => {
      const { final } = run({ delayMs, gain: 0.1, seconds: 8, jitterMs: 15 });
      expect(final).toBeDefined();
      expect(Math.abs(final!.delayMs - delayMs)).toBeLessThanOrEqual(20);
      expect(final!.correlation).toBeGreaterThan(0.8);
    });
  }

  it('keeps the delay it found while the caller talks over the echo', () => {
    const caller = [...new Array(500).fill(0), ...speechEnvelope(300, 5).map((e) => e * 0.05)];
    const { estimates } = run({ delayMs: 450, gain: 0.3, seconds: 8, nearExtra: caller });
    const found = estimates.filter((e) => e !== undefined);
    expect(found.length).toBeGreaterThan(0);
    for (const e of found) expect(Math.abs(e.delayMs - 450)).toBeLessThanOrEqual(20);
  });

  it('finds nothing when the caller’s audio holds no echo (a headset), or the agent is silent', () => {
    const { final } = run({ delayMs: 300, gain: 0, seconds: 8, nearExtra: speechEnvelope(800, 7) });
    expect(final).toBeUndefined();
    const silentAgent = new EchoDelayEstimator();
    for (let i = 0; i < 800; i++) silentAgent.addNear(i * FRAME_MS, 1e7 * (i % 17));
    expect(silentAgent.update(800 * FRAME_MS)).toBeUndefined();
  });

  it('needs two estimates in a row to agree before it reports a delay', () => {
    const estimator = new EchoDelayEstimator();
    const far = speechEnvelope(500, 2);
    for (let i = 0; i < 500; i++) {
      estimator.addFar(i * FRAME_MS, far[i]!);
      estimator.addNear(i * FRAME_MS, i >= 20 ? far[i - 20]! : 0);
    }
    expect(estimator.update(500 * FRAME_MS)).toBeUndefined();
    expect(estimator.update(500 * FRAME_MS + 1)?.delayMs).toBe(200);
  });
});
