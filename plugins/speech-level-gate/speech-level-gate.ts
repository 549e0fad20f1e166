/**
 * A noise gate keyed to the caller's own voice, for what the VAD hears. Silero takes a babble bed
 * (other people talking) at 10 dB below the caller for speech in 98-99 % of its windows, so the
 * caller's turn never ends and background voices could interrupt the agent. Babble is speech: no
 * threshold on Silero's probability tells it from the caller. Its level does: the caller is nearer
 * the microphone than the room. So each 10 ms of audio quieter than the caller's speech level by more
 * than the gate's depth is silenced before the VAD hears it; the STT still hears everything.
 *
 * The depth follows the room: with a quiet background (the floor far below the caller) the gate
 * only silences what is near the floor, so clean speech reaches the VAD untouched; with a loud
 * background it closes up to `minDepthDb` below the caller, above most of the background's level.
 * Levels are kept in a histogram over the last `windowMs`: the caller's level is a high percentile
 * of it, held (decaying slowly) through stretches where only the room is heard; the floor a low one.
 */
export interface SpeechLevelGateOptions {
  sampleRate: number;
  /** The gate never closes nearer the caller's level than this (dB). */
  minDepthDb: number;
  /** Nor farther below it than this (dB). */
  maxDepthDb: number;
  /** Audio this far above the floor always passes (dB). */
  floorMarginDb: number;
  /** The span the levels are taken over (ms). */
  windowMs: number;
  /** How fast the caller's level is forgotten while only quieter audio is heard (dB per second). */
  speechLevelDecayDbPerS: number;
}

export const DEFAULT_SPEECH_LEVEL_GATE: Omit<SpeechLevelGateOptions, 'sampleRate'> = {
  minDepthDb: 9,
  maxDepthDb: 30,
  floorMarginDb: 6,
  windowMs: 6000,
  speechLevelDecayDbPerS: 0.5,
};

const FRAME_MS = 10;
/** Histogram bins: 0.5 dB from -100 to 0 dBFS. */
const BIN_DB = 0.5;
const MIN_DB = -100;
const BINS = Math.ceil(-MIN_DB / BIN_DB) + 1;
/** The caller's speech level and the floor, as percentiles of the recent levels. */
const SPEECH_PERCENTILE = 0.95;
const FLOOR_PERCENTILE = 0.2;
/** Until this much audio is heard, everything passes (the levels mean nothing yet). */
const WARMUP_MS = 1000;

export class SpeechLevelGate {
  readonly #frameSamples: number;
  readonly #windowFrames: number;
  readonly #levels: Uint16Array;
  readonly #histogram = new Uint32Array(BINS);
  #count = 0;
  #next = 0;
  #speechLevel = MIN_DB;
  /** Frames silenced, and frames in all: for the call's summary. */
  #gated = 0;
  #frames = 0;

  constructor(private readonly opts: SpeechLevelGateOptions) {
    this.#frameSamples = Math.round((opts.sampleRate * FRAME_MS) / 1000);
    this.#windowFrames = Math.round(opts.windowMs / FRAME_MS);
    this.#levels = new Uint16Array(this.#windowFrames);
  }

  /** The share of audio silenced so far. */
  get gatedShare(): number {
    return this.#frames ? this.#gated / this.#frames : 0;
  }

  /**
   * The audio the VAD should hear for `pcm` (any length: 10 ms frames are gated as they complete;
   * the returned audio is as long as what came in, the last partial frame passing as it is).
   */
  process(pcm: Int16Array): Int16Array {
    const out = Int16Array.from(pcm);
    for (let at = 0; at < out.length; at += this.#frameSamples) {
      const frame = out.subarray(at, Math.min(out.length, at + this.#frameSamples));
      if (frame.length < this.#frameSamples) break;
      if (this.step(levelDb(frame))) frame.fill(0);
    }
    return out;
  }

  /** One 10 ms frame at `level` dBFS: whether it is silenced. */
  step(level: number): boolean {
    this.#record(level);
    this.#frames++;
    if (this.#count * FRAME_MS < WARMUP_MS) return false;
    const floor = this.#percentile(FLOOR_PERCENTILE);
    const recent = this.#percentile(SPEECH_PERCENTILE);
    this.#speechLevel = Math.max(recent, this.#speechLevel - (this.opts.speechLevelDecayDbPerS * FRAME_MS) / 1000);
    const depth = Math.min(this.opts.maxDepthDb, Math.max(this.opts.minDepthDb, this.#speechLevel - floor - this.opts.floorMarginDb));
    const gated = level < this.#speechLevel - depth;
    if (gated) this.#gated++;
    return gated;
  }

  #record(level: number): void {
    const bin = Math.max(0, Math.min(BINS - 1, Math.round((level - MIN_DB) / BIN_DB)));
    if (this.#count === this.#windowFrames) this.#histogram[this.#levels[this.#next]!]!--;
    else this.#count++;
    this.#levels[this.#next] = bin;
    this.#histogram[bin]!++;
    this.#next = (this.#next + 1) % this.#windowFrames;
  }

  #percentile(p: number): number {
    const rank = Math.floor(p * (this.#count - 1));
    let seen = 0;
    for (let bin = 0; bin < BINS; bin++) {
      seen += this.#histogram[bin]!;
      if (seen > rank) return MIN_DB + bin * BIN_DB;
    }
    return 0;
  }
}

/** A frame's level in dB relative to full scale (digital silence at the histogram's bottom). */
export function levelDb(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return sum === 0 ? MIN_DB : Math.max(MIN_DB, 10 * Math.log10(sum / frame.length / (32768 * 32768)));
}
