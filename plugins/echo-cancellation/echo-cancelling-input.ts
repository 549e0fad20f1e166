import { type AudioFrame, FrameProcessor } from '@livekit/rtc-node';
import { type EchoDelayEstimate, EchoDelayEstimator } from './echo-delay-estimator.js';
import { energy } from './pcm.js';
import { ResidualEchoGate } from './residual-echo-gate.js';
import type { WebRtcEchoCanceller } from './webrtc-echo-canceller.js';

/** How often the echo delay is re-estimated. */
const DELAY_UPDATE_MS = 500;
/**
 * The echo delay AEC3 is left to find itself: it finds up to ~500 ms, but every move of the far
 * end's hold-back makes it re-converge (measured: echo leaked through for about a second, long
 * enough to interrupt the agent), so the hold-back moves only when the delay left leaves this range,
 * and then to the middle of it. Below its floor a jitter buffer draining could put the far end
 * after its own echo.
 */
const AEC_DELAY_RANGE_MS = { min: 40, target: 150, max: 450 };
/** Echo delay assumed by the residual echo gate until one is measured (the loops measured 240-920 ms). */
const ASSUMED_ECHO_DELAY_MS = 1000;
/** Mean square of a frame at about -50 dBFS. */
const AUDIBLE_ENERGY_PER_SAMPLE = 32768 ** 2 * 1e-5;
/** Near frames within this long of the agent's playout count as carrying its echo (for the summary). */
const ECHO_TAIL_MS = 1000;

export interface NearEndSummary {
  /** 10 ms frames cleaned, and frames passed through untouched (a rate or size the canceller cannot take). */
  nearFrames: number;
  skippedFrames: number;
  /** The echo delay measured (ms), once two estimates agreed. */
  echoDelayMs?: number;
  /** How long the far end is held back before the canceller sees it (the delay beyond AEC3's reach). */
  farEndDelayMs: number;
  /** Energy removed from the caller's audio over the whole call (echo and speech), in dB. */
  removedDb?: number;
  /** Median dB removed while the agent played: mostly echo alone, so this is the echo removed. */
  echoRemovedDb?: number;
  /** Near frames silenced by the residual echo gate. */
  mutedAsEcho: number;
}

/** The far end, as the near end pulls it (see PlayoutReferenceOutput). */
export interface FarEnd {
  releaseDue(now: number, delayMs: number, onPlayed: (playedAt: number, energy: number) => void): void;
}

/**
 * The near end: plugged into the room input (`inputOptions.noiseCancellation`), so the caller's
 * audio is cleaned of the agent's echo before the VAD and the STT see it. Frames are processed in
 * place, 10 ms at a time; a frame that is not a whole number of 10 ms chunks at the canceller's rate
 * passes through untouched (and is counted), since the native module cannot take it.
 */
export class EchoCancellingInput extends FrameProcessor<AudioFrame> {
  #enabled = true;
  /** Frames passed through unprocessed because of their rate or size. */
  #skippedFrames = 0;
  #processedFrames = 0;
  /** Sums of squared samples before and after cancellation: their ratio is the echo (and speech) removed. */
  #energyIn = 0;
  #energyOut = 0;
  /** Per 10 ms while the agent plays (and its echo tail), the dB removed: mostly echo alone, so its median is the echo removed. */
  readonly #removedWhilePlaying = new DbHistogram();
  #lastPlayedAt = Number.NEGATIVE_INFINITY;

  /** The far end, pulled before each near frame so the two streams stay interleaved (set once playout is tapped). */
  farEnd?: FarEnd;
  readonly #delayEstimator = new EchoDelayEstimator();
  readonly #residualEchoGate = new ResidualEchoGate();
  /** How long the far end is held back before the canceller sees it. */
  #farEndDelayMs = 0;
  #nextDelayUpdate = 0;

  constructor(
    private readonly canceller: WebRtcEchoCanceller,
    /** Told when the far end's hold-back changes (for the logs). */
    private readonly onDelayChange?: (delayMs: number, estimate: EchoDelayEstimate) => void,
  ) {
    super();
  }

  isEnabled(): boolean {
    return this.#enabled;
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  process(frame: AudioFrame): AudioFrame {
    const { frameSamples, sampleRate } = this.canceller;
    if (!this.#enabled || this.canceller.closed) return frame;
    if (frame.sampleRate !== sampleRate || frame.channels !== 1 || frame.data.length % frameSamples !== 0) {
      this.#skippedFrames++;
      return frame;
    }
    // A frame holds several 10 ms chunks (the room input reads the caller 50 ms at a time), the last
    // one just heard: each chunk is timed, paired with the far end due by then and gated on its own,
    // as the canceller and the delay estimator need the two streams interleaved 10 ms at a time.
    const chunks = frame.data.length / frameSamples;
    const chunkMs = (frameSamples / sampleRate) * 1000;
    const arrivedAt = performance.now();
    for (let k = 0; k < chunks; k++) {
      this.#processChunk(frame.data.subarray(k * frameSamples, (k + 1) * frameSamples), arrivedAt - (chunks - 1 - k) * chunkMs);
    }
    this.#processedFrames++;
    return frame;
  }

  /** One 10 ms chunk of the caller's audio, heard at `now`, cleaned in place. */
  #processChunk(chunk: Int16Array, now: number): void {
    const nearEnergy = energy(chunk);
    this.#energyIn += nearEnergy;
    this.#delayEstimator.addNear(now, nearEnergy);
    this.farEnd?.releaseDue(now, this.#farEndDelayMs, (playedAt, e) => {
      this.#delayEstimator.addFar(playedAt, e);
      this.#residualEchoGate.farPlayed(playedAt, e / chunk.length);
      if (e > 0) this.#lastPlayedAt = playedAt;
    });
    if (now >= this.#nextDelayUpdate) this.#updateDelay(now);
    this.canceller.processNear(chunk);
    const echoDelayMs = this.#delayEstimator.current?.delayMs ?? ASSUMED_ECHO_DELAY_MS;
    let outEnergy = energy(chunk);
    if (this.#residualEchoGate.shouldMute(now, outEnergy / chunk.length, echoDelayMs)) {
      chunk.fill(0);
      outEnergy = 0;
    }
    this.#energyOut += outEnergy;
    // Chunks of line noise alone say nothing about the echo.
    const audible = nearEnergy > AUDIBLE_ENERGY_PER_SAMPLE * chunk.length;
    if (audible && now - this.#lastPlayedAt <= ECHO_TAIL_MS + (this.#delayEstimator.current?.delayMs ?? 0)) {
      this.#removedWhilePlaying.add(10 * Math.log10(nearEnergy / Math.max(1, outEnergy)));
    }
  }

  close(): void {
    this.canceller.close();
  }

  /** What the near end has done so far. */
  summary(): NearEndSummary {
    return {
      nearFrames: this.#processedFrames,
      skippedFrames: this.#skippedFrames,
      echoDelayMs: this.#delayEstimator.current?.delayMs,
      farEndDelayMs: this.#farEndDelayMs,
      removedDb: this.#energyOut > 0 ? Math.round(10 * Math.log10(this.#energyIn / this.#energyOut) * 10) / 10 : undefined,
      echoRemovedDb: this.#removedWhilePlaying.median(),
      mutedAsEcho: this.#residualEchoGate.mutedFrames,
    };
  }

  #updateDelay(now: number): void {
    this.#nextDelayUpdate = now + DELAY_UPDATE_MS;
    const estimate = this.#delayEstimator.update(now);
    if (!estimate) return;
    const left = estimate.delayMs - this.#farEndDelayMs;
    if (left >= AEC_DELAY_RANGE_MS.min && left <= AEC_DELAY_RANGE_MS.max) return;
    if (this.#farEndDelayMs === 0 && left <= AEC_DELAY_RANGE_MS.max) return; // short echo: AEC3 alone
    const delayMs = Math.max(0, estimate.delayMs - AEC_DELAY_RANGE_MS.target);
    if (delayMs === this.#farEndDelayMs) return;
    this.#farEndDelayMs = delayMs;
    this.onDelayChange?.(delayMs, estimate);
  }
}

/** Counts of values in 1 dB bins (from -20 to 80 dB), for a median without keeping every value. */
class DbHistogram {
  static readonly MIN_DB = -20;
  readonly #bins = new Uint32Array(101);
  count = 0;

  add(db: number): void {
    const bin = Math.max(0, Math.min(this.#bins.length - 1, Math.round(db - DbHistogram.MIN_DB)));
    this.#bins[bin]!++;
    this.count++;
  }

  median(): number | undefined {
    if (this.count === 0) return undefined;
    let seen = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      seen += this.#bins[i]!;
      if (seen * 2 >= this.count) return i + DbHistogram.MIN_DB;
    }
    return undefined;
  }
}
