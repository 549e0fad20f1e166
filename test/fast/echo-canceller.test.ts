import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resample } from '../../harness/speech/audio.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { prng } from '../../harness/speech/prng.js';
import { AGENT_VOICE, CALLER_VOICE } from '../../harness/speech/voices.js';
import { wordOverlap } from '../../harness/speech/words.js';
import { WebRtcEchoCanceller } from '../../plugins/echo-cancellation/index.js';

/*
 * The agent's voice (far end) goes through a simulated speakerphone room and comes back in the
 * caller's audio (near end); the canceller gets both, 10 ms at a time, far frame first.
 *
 * ERLE = 10·log10(echo-only near energy / output energy) from 2 s on (AEC3 converges within ~1 s).
 * Measured here (AEC3 in rtc-ffi-bindings 0.12.73, AEC only: no high-pass, no noise suppression):
 * ~39 dB on speech at 16 and 48 kHz (~32 dB over the first 2 s), ~22 dB on continuous filtered
 * noise (harder: no pauses for the suppressor, and AEC3's linear filter, ~50 ms long, cannot model
 * the whole 200 ms reverberant tail; with that tail 10 dB louder, speech gives ~34 dB, noise ~18 dB).
 * The floors below leave ~10 dB of margin for other builds of the native module; 15 dB of ERLE
 * already puts the residual echo of a -10 dB speakerphone echo near -25 dB, under the VAD.
 * Everything is deterministic (flite, the room, APM), so figures repeat run to run.
 */
const SPEECH_ERLE_FLOOR_DB = 20;
const NOISE_ERLE_FLOOR_DB = 15;
const ERLE_FROM_SEC = 2;

const AGENT_TEXTS = [
  'Thank you for calling the city library. I can help you renew a book, reserve a title, or find our opening hours.',
  'Our main branch is open from nine in the morning until eight in the evening on weekdays, and until five on Saturdays.',
];
const CALLER_TEXT = 'I would like to renew the book about sailing ships please';
/** When the caller starts talking over the agent in the double-talk test. */
const CALLER_START_SEC = 4;

type Tap = { delay: number; gain: number };

const dbToGain = (db: number) => 10 ** (db / 20);

/**
 * Speakerphone echo path: the direct path 60 ms after playout (network + device) at -10 dB, four
 * discrete reflections 7..41 ms later at -16..-27 dB, then a diffuse tail (one tap a ms, random
 * sign) from -40 dB decaying 60 dB in 300 ms, up to 200 ms after the direct path.
 */
function roomResponse(rate: number, directMs = 60): Tap[] {
  const random = prng(7);
  const at = (ms: number) => Math.round(((directMs + ms) * rate) / 1000);
  const taps: Tap[] = [
    { delay: at(0), gain: dbToGain(-10) },
    { delay: at(7), gain: -dbToGain(-16) },
    { delay: at(15), gain: dbToGain(-19) },
    { delay: at(28), gain: -dbToGain(-23) },
    { delay: at(41), gain: dbToGain(-27) },
  ];
  for (let ms = 50; ms < 200; ms++) {
    taps.push({ delay: at(ms), gain: (random() < 0.5 ? -1 : 1) * dbToGain(-40 - (60 * (ms - 50)) / 300) });
  }
  return taps;
}

function convolve(x: Int16Array, taps: Tap[]): Float64Array {
  const y = new Float64Array(x.length);
  for (const { delay, gain } of taps) for (let n = delay; n < x.length; n++) y[n]! += gain * x[n - delay]!;
  return y;
}

function toInt16(x: ArrayLike<number>): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]!)));
  return out;
}

function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return e;
}

function erleDb(echo: Int16Array, output: Int16Array, from: number, to = output.length): number {
  return 10 * Math.log10(energy(echo, from, to) / Math.max(1, energy(output, from, to)));
}

function concat(parts: Int16Array[], gapSamples: number): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length + gapSamples, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length + gapSamples;
  }
  return out;
}

/** Continuous low-passed white noise (two one-pole sections, ~700 Hz corner at 16 kHz). */
function filteredNoise(seconds: number, rate: number): Int16Array {
  const random = prng(3);
  const out = new Int16Array(seconds * rate);
  let a = 0;
  let b = 0;
  for (let i = 0; i < out.length; i++) {
    a += 0.25 * ((random() - 0.5) * 2 - a);
    b += 0.5 * (a - b);
    out[i] = Math.round(b * 9000);
  }
  return out;
}

/** Far frame i, then near frame i, as a call delivers them: the agent's audio is played before its echo returns. */
function cancel(far: Int16Array, near: Int16Array, rate: number, opts: { noiseSuppression?: boolean } = {}): Int16Array {
  const aec = WebRtcEchoCanceller.create({ sampleRate: rate, highPassFilter: false, noiseSuppression: opts.noiseSuppression ?? false });
  try {
    const n = aec.frameSamples;
    const frames = Math.floor(Math.min(far.length, near.length) / n);
    const out = new Int16Array(frames * n);
    for (let i = 0; i < frames; i++) {
      aec.processReverse(far.subarray(i * n, (i + 1) * n));
      out.set(aec.processNear(near.slice(i * n, (i + 1) * n)), i * n);
    }
    return out;
  } finally {
    aec.close();
  }
}

describe('WebRtcEchoCanceller (WebRTC AEC3 through the LiveKit FFI)', () => {
  let farSpeech16: Int16Array;
  let callerSpeech16: Int16Array;

  beforeAll(async () => {
    const agentVoice = new FliteSynthesizer({ voice: AGENT_VOICE });
    const parts = await Promise.all(AGENT_TEXTS.map((t) => agentVoice.synthesize(t)));
    farSpeech16 = concat(
      parts.map((p) => p.pcm),
      4000, // 250 ms between sentences
    );
    callerSpeech16 = (await new FliteSynthesizer({ voice: CALLER_VOICE }).synthesize(CALLER_TEXT)).pcm;
  });

  afterAll(async () => {
    // The FFI keeps the process alive until it is disposed.
    await dispose();
  });

  it('rejects frames that are not exactly 10 ms, with a clear error, before they reach the native module', () => {
    // The native side aborts the process (a Rust panic) on a size that is not a multiple of 10 ms.
    const aec = WebRtcEchoCanceller.create({ sampleRate: 48_000 });
    try {
      expect(aec.frameSamples).toBe(480);
      expect(() => aec.processNear(new Int16Array(479))).toThrow(/exactly 10 ms = 480 samples at 48000 Hz mono, got 479 samples/);
      expect(() => aec.processNear(new Int16Array(960))).toThrow(/480 samples.*got 960/);
      expect(() => aec.processReverse(new Int16Array(160))).toThrow(/processReverse: expected exactly 10 ms = 480 samples/);
      expect(() => aec.processReverse(new Int16Array(0))).toThrow(/got 0 samples/);
      expect(() => aec.processNear(new Float32Array(480) as unknown as Int16Array)).toThrow(/Int16Array/);
      // A 10 ms view into a larger buffer is fine (the pointer honours the view's offset).
      const big = new Int16Array(2000);
      expect(aec.processNear(big.subarray(333, 813))).toHaveLength(480);
    } finally {
      aec.close();
    }
  });

  it('rejects unusable rates, and any use after close', () => {
    expect(() => WebRtcEchoCanceller.create({ sampleRate: 22_050 })).toThrow(/multiple of 100 Hz/);
    expect(() => WebRtcEchoCanceller.create({ sampleRate: 4000 })).toThrow(/between 8000 and 96000/);
    const aec = WebRtcEchoCanceller.create({ sampleRate: 16_000 });
    aec.close();
    aec.close(); // idempotent
    expect(aec.closed).toBe(true);
    expect(() => aec.processNear(new Int16Array(160))).toThrow(/closed/);
    expect(() => aec.processReverse(new Int16Array(160))).toThrow(/closed/);
  });

  it('leaves the far end untouched and passes the caller through when the agent is silent', () => {
    const aec = WebRtcEchoCanceller.create({ sampleRate: 16_000, highPassFilter: false });
    const farFrame = Int16Array.from({ length: 160 }, (_, i) => (i % 7) * 100);
    const farCopy = farFrame.slice();
    aec.processReverse(farFrame);
    expect(Array.from(farFrame)).toEqual(Array.from(farCopy));
    aec.close();

    const silence = new Int16Array(callerSpeech16.length);
    const out = cancel(silence, callerSpeech16, 16_000);
    const gainDb = 10 * Math.log10(energy(out) / energy(callerSpeech16, 0, out.length));
    console.log(`[aec] caller alone through the canceller: ${gainDb.toFixed(2)} dB`);
    expect(Math.abs(gainDb)).toBeLessThan(1.5);
  });

  for (const rate of [16_000, 48_000]) {
    it(`removes the echo of the agent's speech at ${rate / 1000} kHz`, () => {
      const far = rate === 16_000 ? farSpeech16 : resample(farSpeech16, 16_000, rate);
      const echo = toInt16(convolve(far, roomResponse(rate)));
      const out = cancel(far, echo, rate);
      const erle = erleDb(echo, out, ERLE_FROM_SEC * rate);
      const first = erleDb(echo, out, 0, ERLE_FROM_SEC * rate);
      console.log(
        `[aec] speech ${rate / 1000} kHz (${(far.length / rate).toFixed(1)} s): ERLE ${erle.toFixed(1)} dB after ${ERLE_FROM_SEC} s, ${first.toFixed(1)} dB before`,
      );
      expect(erle).toBeGreaterThanOrEqual(SPEECH_ERLE_FLOOR_DB);
    });
  }

  it('removes the echo of continuous filtered noise', () => {
    const far = filteredNoise(10, 16_000);
    const echo = toInt16(convolve(far, roomResponse(16_000)));
    const out = cancel(far, echo, 16_000);
    const erle = erleDb(echo, out, ERLE_FROM_SEC * 16_000);
    console.log(`[aec] filtered noise 16 kHz (10 s): ERLE ${erle.toFixed(1)} dB after ${ERLE_FROM_SEC} s`);
    expect(erle).toBeGreaterThanOrEqual(NOISE_ERLE_FLOOR_DB);
  });

  it("keeps the caller's words when the caller talks over the agent (double talk)", async () => {
    const rate = 16_000;
    const far = farSpeech16;
    const echo = convolve(far, roomResponse(rate));
    const start = CALLER_START_SEC * rate;
    const end = Math.min(far.length, start + callerSpeech16.length);
    const callerAlone = new Float64Array(far.length);
    callerAlone.set(callerSpeech16.subarray(0, end - start), start);
    const near = toInt16(echo.map((e, i) => e + callerAlone[i]!));
    const caller = toInt16(callerAlone);
    const echoOnly = toInt16(echo);
    const out = cancel(far, near, rate);

    // Far end only, after convergence and before the caller speaks: the echo is still removed.
    const erleBefore = erleDb(echoOnly, out, ERLE_FROM_SEC * rate, start);
    // While both talk: the output keeps the caller's level (the echo alone would add ~+0.2 dB).
    const keptDb = 10 * Math.log10(energy(out, start, end) / energy(caller, start, end));
    const echoToCallerDb = 10 * Math.log10(energy(echoOnly, start, end) / energy(caller, start, end));

    const recognizer = await PocketsphinxRecognizer.start();
    try {
      const window = (pcm: Int16Array) => pcm.subarray(start - rate / 5, Math.min(pcm.length, end + rate / 5));
      const [cleaned, raw, clean] = [
        await recognizer.recognize(window(out), rate),
        await recognizer.recognize(window(near), rate),
        await recognizer.recognize(window(caller), rate),
      ];
      const overlap = wordOverlap(CALLER_TEXT, cleaned.text);
      console.log(
        `[aec] double talk (echo ${echoToCallerDb.toFixed(1)} dB vs caller): ERLE before the caller ${erleBefore.toFixed(1)} dB; ` +
          `output/caller energy ${keptDb.toFixed(1)} dB; words heard: cancelled ${overlap.toFixed(2)} "${cleaned.text}", ` +
          `unprocessed ${wordOverlap(CALLER_TEXT, raw.text).toFixed(2)} "${raw.text}", caller alone ${wordOverlap(CALLER_TEXT, clean.text).toFixed(2)}`,
      );
      expect(erleBefore).toBeGreaterThanOrEqual(SPEECH_ERLE_FLOOR_DB);
      expect(keptDb).toBeGreaterThan(-3);
      expect(keptDb).toBeLessThan(1);
      expect(overlap).toBeGreaterThanOrEqual(0.6);
    } finally {
      await recognizer.close();
    }
  });
});
