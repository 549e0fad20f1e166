/**
 * Cuts a stream of int16 mono chunks of any length into 10 ms frames (what WebRTC's audio
 * processing module takes), keeping the remainder for the next chunk.
 */
export class TenMsFramer {
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly #pending: Int16Array;
  #filled = 0;

  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate % 100 !== 0) {
      throw new RangeError(`TenMsFramer: sample rate must be a positive multiple of 100 Hz, got ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.frameSamples = sampleRate / 100;
    this.#pending = new Int16Array(this.frameSamples);
  }

  /** Samples held back until the next frame is complete. */
  get pendingSamples(): number {
    return this.#filled;
  }

  /** Every frame completed by this chunk, in order; each is a new array the caller owns. */
  push(pcm: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    if (this.#filled > 0) {
      const take = Math.min(this.frameSamples - this.#filled, pcm.length);
      this.#pending.set(pcm.subarray(0, take), this.#filled);
      this.#filled += take;
      offset = take;
      if (this.#filled < this.frameSamples) return frames;
      frames.push(this.#pending.slice());
      this.#filled = 0;
    }
    for (; offset + this.frameSamples <= pcm.length; offset += this.frameSamples) {
      frames.push(pcm.slice(offset, offset + this.frameSamples));
    }
    this.#pending.set(pcm.subarray(offset), 0);
    this.#filled = pcm.length - offset;
    return frames;
  }

  /** The held-back remainder padded with silence to a full frame, or undefined if there is none. */
  flush(): Int16Array | undefined {
    if (this.#filled === 0) return undefined;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.#pending.subarray(0, this.#filled));
    this.#filled = 0;
    return frame;
  }

  /** Drops the remainder (e.g. when playout is interrupted). */
  reset(): void {
    this.#filled = 0;
  }
}
