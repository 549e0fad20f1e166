export interface EchoOptions {
  /** Level of the echo relative to what the caller received, e.g. -10 or -20 dB. */
  gainDb: number;
  /** Acoustic and device delay between hearing the agent and the echo reaching the microphone. */
  delayMs: number;
}

/**
 * The agent's voice coming back into the caller's microphone, as on a speakerphone or a phone
 * without echo cancellation: what the caller receives is attenuated, delayed, and mixed into what
 * it sends. Received audio streams in real time (silence included), so a sample is echoed once
 * `delayMs` of audio has arrived after it.
 */
export class EchoPath {
  readonly #gain: number;
  readonly #delaySamples: number;
  #fifo = new Int16Array(0);

  constructor(
    opts: EchoOptions,
    private readonly sampleRate: number,
  ) {
    this.#gain = 10 ** (opts.gainDb / 20);
    this.#delaySamples = Math.round((opts.delayMs * sampleRate) / 1000);
  }

  /** What the caller's speaker played. */
  heard(pcm: Int16Array): void {
    const next = new Int16Array(this.#fifo.length + pcm.length);
    next.set(this.#fifo);
    next.set(pcm, this.#fifo.length);
    // Bounded: if the microphone stopped pulling, keep only a second beyond the delay.
    const max = this.#delaySamples + this.sampleRate;
    this.#fifo = next.length > max ? next.slice(next.length - max) : next;
  }

  /** Mixes the next stretch of echo into a microphone frame, in place. */
  mixInto(frame: Int16Array): void {
    const n = Math.max(0, Math.min(frame.length, this.#fifo.length - this.#delaySamples));
    for (let i = 0; i < n; i++) {
      frame[i] = Math.max(-32768, Math.min(32767, Math.round(frame[i]! + this.#fifo[i]! * this.#gain)));
    }
    this.#fifo = this.#fifo.slice(n);
  }
}
