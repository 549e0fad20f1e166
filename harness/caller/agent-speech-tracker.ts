import { rms } from '../speech/audio.js';

export interface SpeechSegment {
  /** Arrival time (performance.now() ms) of the first audible frame. */
  start: number;
  /** Arrival time of the end of the last audible frame. */
  end: number;
  /** Index of the first and one past the last sample of the segment in the recording. */
  fromSample: number;
  toSample: number;
}

export interface SpeechTrackerOptions {
  sampleRate: number;
  /** Frame RMS at or above which a frame counts as speech (~-40 dBFS: far above WebRTC's comfort noise). */
  threshold?: number;
  /** Quiet this long ends a segment: longer than the pauses between words and sentences. */
  hangoverMs?: number;
}

/**
 * Records what the caller receives from the agent and splits it into speech segments by energy, with
 * the wall-clock arrival time of every frame, which is when the caller hears it (frames come out of
 * rtc-node's jitter buffer).
 */
export class AgentSpeechTracker {
  readonly sampleRate: number;
  readonly #threshold: number;
  readonly #hangoverMs: number;
  readonly #chunks: Int16Array[] = [];
  #samples = 0;
  #open?: { start: number; fromSample: number; lastLoudEnd: number; lastLoudSample: number };
  /** Every received frame: when it ended, whether it was audible, and the sample after it. */
  readonly #frames: { end: number; loud: boolean; fromSample: number; toSample: number }[] = [];
  readonly segments: SpeechSegment[] = [];
  #listeners: (() => void)[] = [];

  constructor(opts: SpeechTrackerOptions) {
    this.sampleRate = opts.sampleRate;
    this.#threshold = opts.threshold ?? 300;
    this.#hangoverMs = opts.hangoverMs ?? 1500;
  }

  /** Feed one received frame; `arrivedAt` is performance.now() at its arrival. */
  push(frame: Int16Array, arrivedAt: number): void {
    const fromSample = this.#samples;
    this.#chunks.push(frame);
    this.#samples += frame.length;
    const frameEnd = arrivedAt + (frame.length / this.sampleRate) * 1000;
    const loud = rms(frame) >= this.#threshold;
    this.#frames.push({ end: frameEnd, loud, fromSample, toSample: this.#samples });
    if (loud) {
      if (!this.#open) this.#open = { start: arrivedAt, fromSample, lastLoudEnd: frameEnd, lastLoudSample: this.#samples };
      this.#open.lastLoudEnd = frameEnd;
      this.#open.lastLoudSample = this.#samples;
      this.#notify();
    } else {
      this.closeIfQuiet(frameEnd);
      this.#notify(); // a quiet stretch may be what someone waits for (stoppedAfter)
    }
  }

  /**
   * Where the agent's audio stopped after `t`: the end of its last audible frame before the first
   * silence of at least `quietMs` that follows `t` (a pause or the end of the reply), or undefined
   * while no such silence has been received yet.
   */
  stoppedAfter(t: number, quietMs: number): { at: number; toSample: number } | undefined {
    let lastLoud: { end: number; toSample: number } | undefined;
    let quietSince: number | undefined;
    for (const f of this.#frames) {
      if (f.end <= t) {
        if (f.loud) lastLoud = f;
        continue;
      }
      if (f.loud) {
        lastLoud = f;
        quietSince = undefined;
      } else {
        quietSince ??= lastLoud?.end ?? t;
        if (f.end - quietSince >= quietMs) return { at: lastLoud?.end ?? t, toSample: lastLoud?.toSample ?? f.toSample };
      }
    }
    return undefined;
  }

  /**
   * The first audible frame that arrived after `t` (where the agent's audio started again after a
   * stop, e.g. stoppedAfter's), whichever segment it falls in: a reply that follows a cut within the
   * hangover shares the cut reply's segment.
   */
  firstLoudAfter(t: number): { at: number; fromSample: number } | undefined {
    const frame = this.#frames.find((f) => f.loud && f.end - ((f.toSample - f.fromSample) / this.sampleRate) * 1000 >= t);
    return frame && { at: frame.end - ((frame.toSample - frame.fromSample) / this.sampleRate) * 1000, fromSample: frame.fromSample };
  }

  /** Ends the open segment if it has been quiet for the hangover; also called on a timer in case frames stop. */
  closeIfQuiet(now: number): void {
    const open = this.#open;
    if (!open || now - open.lastLoudEnd < this.#hangoverMs) return;
    this.segments.push({ start: open.start, end: open.lastLoudEnd, fromSample: open.fromSample, toSample: open.lastLoudSample });
    this.#open = undefined;
    this.#notify();
  }

  get speaking(): boolean {
    return this.#open !== undefined;
  }

  /** Start time of the segment in progress, if any. */
  get openSince(): number | undefined {
    return this.#open?.start;
  }

  /** Recording index of the first sample of the segment in progress, if any. */
  get openFromSample(): number | undefined {
    return this.#open?.fromSample;
  }

  audio(fromSample: number, toSample: number): Int16Array {
    const out = new Int16Array(toSample - fromSample);
    let offset = 0;
    for (const chunk of this.#chunks) {
      const lo = Math.max(fromSample - offset, 0);
      const hi = Math.min(toSample - offset, chunk.length);
      if (hi > lo) out.set(chunk.subarray(lo, hi), offset + lo - fromSample);
      offset += chunk.length;
      if (offset >= toSample) break;
    }
    return out;
  }

  /** Silent stretches of at least `minMs` inside a segment (pauses of the speaker), in ms. */
  gaps(segment: SpeechSegment, minMs: number): number[] {
    const frame = Math.round(this.sampleRate / 100);
    const audio = this.audio(segment.fromSample, segment.toSample);
    const gaps: number[] = [];
    let quiet = 0;
    for (let i = 0; i + frame <= audio.length; i += frame) {
      if (rms(audio.subarray(i, i + frame)) >= this.#threshold) {
        if (quiet * 10 >= minMs) gaps.push(quiet * 10);
        quiet = 0;
      } else {
        quiet++;
      }
    }
    return gaps;
  }

  /** Resolves when `predicate` holds, checked on every change; rejects after `timeoutMs`. */
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== check);
      };
      this.#listeners.push(check);
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
