import { prng } from './prng.js';

/** Non-speech sounds a caller makes over the agent, synthesized (16 kHz mono), deterministic. */

const RATE = 16_000;

/** White noise in -1..1, the same every run. */
function noiseSource(seed: number): () => number {
  const random = prng(seed);
  return () => 2 * random() - 1;
}

/** Two bursts of low-passed noise with a fast attack and a decay: a cough, ~350 ms. */
export function cough(): { pcm: Int16Array; sampleRate: number } {
  const pcm = new Int16Array(Math.round(RATE * 0.35));
  const noise = noiseSource(7);
  let low = 0;
  const bursts = [
    { at: 0, len: 0.16, peak: 14_000 },
    { at: 0.19, len: 0.16, peak: 9_000 },
  ];
  for (const b of bursts) {
    const from = Math.round(b.at * RATE);
    const n = Math.round(b.len * RATE);
    for (let i = 0; i < n && from + i < pcm.length; i++) {
      low += 0.25 * (noise() - low); // one-pole low-pass: a breathy, not hissing, burst
      const t = i / RATE;
      const envelope = Math.min(1, t / 0.012) * Math.exp(-t / 0.05);
      pcm[from + i] = Math.round(b.peak * 2.5 * low * envelope);
    }
  }
  return { pcm, sampleRate: RATE };
}

/** Two sharp key clicks 80 ms apart, ~120 ms in all. */
export function click(): { pcm: Int16Array; sampleRate: number } {
  const pcm = new Int16Array(Math.round(RATE * 0.12));
  const noise = noiseSource(11);
  for (const at of [0.01, 0.09]) {
    const from = Math.round(at * RATE);
    for (let i = 0; i < RATE * 0.004; i++) pcm[from + i] = Math.round(20_000 * noise() * Math.exp(-i / (RATE * 0.0008)));
  }
  return { pcm, sampleRate: RATE };
}
