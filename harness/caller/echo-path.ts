export interface EchoOptions {
  /** Level of the echo relative to what the caller received, e.g. -10 or -20 dB. */
  gainDb: number;
  /** Acoustic and device delay between the speaker playing the agent and the echo reaching the microphone. */
  delayMs: number;
  /** Received audio the speaker buffers before it plays (again after running dry), like a device's playout buffer. Default 30 ms. */
  playoutBufferMs?: number;
}

/**
 * The agent's voice coming back into the caller's microphone, as on a speakerphone or a phone
 * without echo cancellation. As on a device, the speaker and the microphone run on one clock: each
 * microphone frame, the speaker plays the next frame of received audio (silence while its playout
 * buffer fills), and the microphone picks that up `delayMs` later, attenuated. The echo path is
 * then a fixed delay, as in a room; received audio arriving in bursts only moves it when the
 * speaker runs dry (an underrun), as it would on a phone.
 */
export class EchoPath {
  readonly #gain: number;
  readonly #playoutBufferSamples: number;
  /** Received, not yet played. */
  #speaker: Int16Array = new Int16Array(0);
  #playing = false;
  /** Played, on its way to the microphone: always `delayMs` long. */
  #line: Int16Array;

  constructor(
    opts: EchoOptions,
    private readonly sampleRate: number,
  ) {
    this.#gain = 10 ** (opts.gainDb / 20);
    this.#line = new Int16Array(Math.round((opts.delayMs * sampleRate) / 1000));
    this.#playoutBufferSamples = Math.round(((opts.playoutBufferMs ?? 30) * sampleRate) / 1000);
  }

  /** What the caller received, queued for its speaker. */
  heard(pcm: Int16Array): void {
    // Bounded: if the microphone stopped pulling, keep only a second beyond the playout buffer.
    this.#speaker = append(this.#speaker, pcm, this.#playoutBufferSamples + this.sampleRate);
  }

  /** Mixes the echo of what the speaker plays during this microphone frame into it, in place. */
  mixInto(frame: Int16Array): void {
    const played = this.#play(frame.length);
    const line = append(this.#line, played, Number.POSITIVE_INFINITY);
    for (let i = 0; i < frame.length; i++) {
      frame[i] = Math.max(-32768, Math.min(32767, Math.round(frame[i]! + line[i]! * this.#gain)));
    }
    this.#line = line.slice(frame.length);
  }

  #play(samples: number): Int16Array {
    const out = new Int16Array(samples);
    if (!this.#playing && this.#speaker.length < this.#playoutBufferSamples) return out;
    this.#playing = true;
    const n = Math.min(samples, this.#speaker.length);
    out.set(this.#speaker.subarray(0, n));
    this.#speaker = this.#speaker.slice(n);
    // Ran dry: silence until the playout buffer has filled again.
    if (this.#speaker.length === 0) this.#playing = false;
    return out;
  }
}

function append(a: Int16Array, b: Int16Array, max: number): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out.length > max ? out.slice(out.length - max) : out;
}
