import { rms } from '../speech/audio.js';

/**
 * The realtime transcription server's own turn detection (`server_vad`): an energy gate on 20 ms
 * frames, which opens an utterance on the first loud frame (with the frames before it as padding) and
 * closes it after `silenceMs` of quiet. The local server stands in for a cloud model, so a plain
 * energy gate suffices: its callers are synthesized voices over Opus, with near-silence between them.
 * A pure state machine, so the turn-taking benchmark replays exactly what the server does.
 */
export interface EnergyEndpointerOptions {
  sampleRate: number;
  /** Quiet that closes an utterance (`silence_duration_ms`). */
  silenceMs: number;
  /** Audio before the first loud frame kept in the utterance (`prefix_padding_ms`). */
  prefixMs: number;
}

/** Frame level that counts as speech (RMS of 16-bit samples). */
const SPEECH_RMS = 400;
const FRAME_MS = 20;

/** What one frame did: nothing, opened an utterance (with its padding), or closed it. */
export type EndpointerStep =
  | { kind: 'quiet' }
  | { kind: 'speech' }
  | { kind: 'opened'; prefix: Int16Array[]; startSample: number }
  | { kind: 'closed'; endSample: number };

export class EnergyEndpointer {
  readonly frameSamples: number;
  #history: Int16Array[] = [];
  #open = false;
  #silentSamples = 0;
  /** Samples stepped through so far. */
  #received = 0;

  constructor(private readonly opts: EnergyEndpointerOptions) {
    this.frameSamples = Math.round((opts.sampleRate * FRAME_MS) / 1000);
  }

  get open(): boolean {
    return this.#open;
  }

  /** One frame of `frameSamples`. */
  step(frame: Int16Array): EndpointerStep {
    this.#received += frame.length;
    const loud = rms(frame) >= SPEECH_RMS;
    if (!this.#open) {
      this.#history.push(frame);
      const keep = Math.ceil((this.opts.prefixMs * this.opts.sampleRate) / 1000 / this.frameSamples);
      if (this.#history.length > keep + 1) this.#history = this.#history.slice(-(keep + 1));
      if (!loud) return { kind: 'quiet' };
      const prefix = this.#history;
      this.#history = [];
      this.#open = true;
      this.#silentSamples = 0;
      return { kind: 'opened', prefix, startSample: this.#received - prefix.reduce((n, f) => n + f.length, 0) };
    }
    this.#silentSamples = loud ? 0 : this.#silentSamples + frame.length;
    if (this.#silentSamples * 1000 < this.opts.silenceMs * this.opts.sampleRate) return { kind: 'speech' };
    this.#open = false;
    return { kind: 'closed', endSample: this.#received - this.#silentSamples };
  }
}
