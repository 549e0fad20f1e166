import { resample, rms } from './audio.js';
import type { RecognizerStream, SpeechRecognizer, Transcript } from './pocketsphinx.js';

/** A sentence a benchmark's callers may say, as they say it. */
export interface KnownUtterance {
  text: string;
  pcm: Int16Array;
  sampleRate: number;
}

/** Contours are made of frames of this length. */
const FRAME_MS = 20;
/** A frame at least this loud is speech (synthesized voices, near-silence between them). */
const SPEECH_RMS = 300;
/** Levels are taken relative to the utterance's loudest frame, and this far below it they are all silence alike. */
const RANGE_DB = 35;
/** A frame this close to the loudest is voiced enough for its spectral tilt to count. */
const TILT_RANGE_DB = 30;
/** A candidate must last within this share of the heard speech's length. */
const LENGTH_TOLERANCE = 0.15;
/**
 * Mean distance per aligned frame above which the speech is none of the known sentences. Measured:
 * a known sentence heard by the agent over Opus, 4 callers at once, 0.8-4.0; clean, 0.0-0.6;
 * another sentence of about the same length, 4.9-8.1. A load benchmark's callers say only known
 * sentences, so a sentence missed costs a turn, while one mistaken for another costs nothing it
 * measures: the bound is generous.
 */
const MAX_DISTANCE = 6;

/** One 20 ms frame: its level (dB from the loudest frame) and its tilt (dB from the utterance's mean). */
type Frame = readonly [level: number, tilt: number];

/**
 * A recognizer for load benchmarks that knows every sentence the callers say and names the one it
 * hears instead of decoding it: the contour of its 20 ms frames (level and spectral tilt, speech to
 * speech), aligned by dynamic time warping with each known sentence of about the same length. That
 * is a few milliseconds an utterance, where pocketsphinx spends a core for a few callers. Sound
 * that matches none of them (silence, a cough, a piece of a sentence) is heard as nothing; another
 * sentence of the same length and rhythm may be taken for a known one. Made for wideband callers
 * (a LiveKit client's Opus): the phone band flattens the contours until some sentences look alike.
 */
export class KnownSpeechRecognizer implements SpeechRecognizer {
  /** The known sentences' contours at each rate heard so far: heard audio is compared at its own rate, not resampled. */
  readonly #knownAt = new Map<number, { text: string; contour: Frame[] }[]>();

  /** `sampleRates`: rates to prepare the known contours for now, not at the first utterance heard at each (~0.1 s a sentence). */
  constructor(
    private readonly known: readonly KnownUtterance[],
    sampleRates: readonly number[] = [],
  ) {
    for (const rate of sampleRates) this.#knownAtRate(rate);
  }

  async recognize(pcm: Int16Array, sampleRate: number): Promise<Transcript> {
    const stream = this.stream(sampleRate);
    stream.write(pcm);
    return stream.end();
  }

  stream(sampleRate: number): RecognizerStream {
    const chunks: Int16Array[] = [];
    return {
      write: (pcm) => void chunks.push(pcm),
      end: async () => {
        const pcm = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          pcm.set(c, at);
          at += c.length;
        }
        return { text: this.#nearest(speechContour(pcm, sampleRate), sampleRate), words: [] };
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #knownAtRate(sampleRate: number): { text: string; contour: Frame[] }[] {
    let known = this.#knownAt.get(sampleRate);
    if (!known) {
      known = this.known.map((u) => ({ text: u.text, contour: speechContour(resample(u.pcm, u.sampleRate, sampleRate), sampleRate) }));
      this.#knownAt.set(sampleRate, known);
    }
    return known;
  }

  #nearest(heard: Frame[], sampleRate: number): string {
    let best: { text: string; distance: number } | undefined;
    for (const k of this.#knownAtRate(sampleRate)) {
      if (Math.abs(k.contour.length - heard.length) > LENGTH_TOLERANCE * heard.length) continue;
      const distance = contourDistance(heard, k.contour);
      if (!best || distance < best.distance) best = { text: k.text, distance };
    }
    return best && best.distance <= MAX_DISTANCE ? best.text : '';
  }
}

/** The frames of `pcm` from its first speech frame to its last. */
function speechContour(pcm: Int16Array, sampleRate: number): Frame[] {
  const frameSamples = Math.round((sampleRate * FRAME_MS) / 1000);
  const levels: number[] = [];
  const tilts: number[] = [];
  for (let i = 0; i + frameSamples <= pcm.length; i += frameSamples) {
    const frame = pcm.subarray(i, i + frameSamples);
    levels.push(20 * Math.log10(Math.max(rms(frame), 1)));
    tilts.push(tiltDb(frame));
  }
  const threshold = 20 * Math.log10(SPEECH_RMS);
  const first = levels.findIndex((l) => l >= threshold);
  if (first < 0) return [];
  let last = levels.length - 1;
  while (levels[last]! < threshold) last--;
  const speech = levels.slice(first, last + 1);
  const peak = Math.max(...speech);
  const voiced = speech.map((l, i) => (l > peak - TILT_RANGE_DB ? tilts[first + i]! : undefined));
  const counted = voiced.filter((t) => t !== undefined);
  const meanTilt = counted.reduce((a, b) => a + b, 0) / counted.length;
  return speech.map((l, i) => [Math.max(l, peak - RANGE_DB) - peak, voiced[i] === undefined ? 0 : voiced[i]! - meanTilt]);
}

/** Energy of the frame's first difference over its energy, in dB: high for hiss and fricatives, low for vowels. */
function tiltDb(frame: Int16Array): number {
  let energy = 0;
  let slope = 0;
  for (let k = 1; k < frame.length; k++) {
    energy += frame[k]! * frame[k]!;
    const d = frame[k]! - frame[k - 1]!;
    slope += d * d;
  }
  return 10 * Math.log10((slope + 1) / (energy + 1));
}

/**
 * Mean frame distance along the best alignment of the two contours (dynamic time warping within a
 * band around the diagonal): a sentence said a little faster or slower still lines up.
 */
function contourDistance(a: Frame[], b: Frame[]): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return Number.POSITIVE_INFINITY;
  const band = Math.max(Math.ceil(0.1 * Math.max(n, m)), Math.abs(n - m) + 2);
  let prev = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
  let cur = new Float64Array(m + 1);
  let prevSteps = new Int32Array(m + 1);
  let curSteps = new Int32Array(m + 1);
  prev[0] = 0;
  for (let i = 1; i <= n; i++) {
    cur.fill(Number.POSITIVE_INFINITY);
    const centre = Math.round((i * m) / n);
    for (let j = Math.max(1, centre - band); j <= Math.min(m, centre + band); j++) {
      const [x, y] = [a[i - 1]!, b[j - 1]!];
      const cost = Math.abs(x[0] - y[0]) + Math.abs(x[1] - y[1]);
      let best = prev[j - 1]!;
      let steps = prevSteps[j - 1]!;
      if (prev[j]! < best) [best, steps] = [prev[j]!, prevSteps[j]!];
      if (cur[j - 1]! < best) [best, steps] = [cur[j - 1]!, curSteps[j - 1]!];
      cur[j] = best + cost;
      curSteps[j] = steps + 1;
    }
    [prev, cur] = [cur, prev];
    [prevSteps, curSteps] = [curSteps, prevSteps];
  }
  return prev[m]! / prevSteps[m]!;
}
