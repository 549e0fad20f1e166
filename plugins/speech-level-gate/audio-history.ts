/**
 * The last `capacity` samples of one audio stream, addressed by their index in the stream, so a
 * stretch a consumer reports by position (it ended at sample n and was m long) can be taken back.
 */
export class AudioHistory {
  readonly #ring: Int16Array;
  /** Samples pushed so far: the index of the next one. */
  #end = 0;

  constructor(capacity: number) {
    this.#ring = new Int16Array(capacity);
  }

  get end(): number {
    return this.#end;
  }

  push(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) this.#ring[(this.#end + i) % this.#ring.length] = samples[i]!;
    this.#end += samples.length;
  }

  /**
   * The `length` samples that end before sample `end` (not past what was pushed); of a stretch
   * reaching further back than the ring holds, only its newest part.
   */
  slice(end: number, length: number): Int16Array {
    const to = Math.min(end, this.#end);
    const from = Math.max(to - length, this.#end - this.#ring.length, 0);
    const out = new Int16Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) out[i - from] = this.#ring[i % this.#ring.length]!;
    return out;
  }
}
