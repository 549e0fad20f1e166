import { log, voice } from '@livekit/agents';
import { EchoCancellingInput, type NearEndSummary } from './echo-cancelling-input.js';
import { PlayoutReferenceOutput } from './playout-reference-output.js';
import { WebRtcEchoCanceller } from './webrtc-echo-canceller.js';

/** The framework's room input rate, at which the canceller runs unless told otherwise. */
const DEFAULT_SAMPLE_RATE = 24_000;

/** Message of the line logged when the session closes. */
export const ECHO_CANCELLATION_SUMMARY_LOG = 'echo cancellation summary';

export interface EchoCancellationOptions {
  /** Rate asked of the room input and run by the canceller, a multiple of 100 Hz. */
  sampleRate?: number;
}

export interface EchoCancellationSummary extends NearEndSummary {
  /** 10 ms frames of the agent's speech handed to the canceller as its reference. */
  referenceFrames: number;
}

/**
 * Server-side echo cancellation for one call: WebRTC's AEC3 on the caller's audio before the VAD
 * and the STT, with the agent's own playout as its reference. For callers who bring no echo
 * canceller of their own (a phone behind a SIP trunk), whose microphone would otherwise hand the
 * agent its own voice and make it interrupt itself.
 *
 * It owns its lifecycle: pass `inputOptions` to `session.start`, then `attach(session)`; the native
 * module is freed and the call's `summary()` logged when the session closes.
 */
export class EchoCancellation {
  readonly #logger = log().child({ component: 'echo-cancellation' });
  readonly #canceller: WebRtcEchoCanceller;
  readonly #input: EchoCancellingInput;
  #playout?: PlayoutReferenceOutput;

  private constructor(canceller: WebRtcEchoCanceller) {
    this.#canceller = canceller;
    this.#input = new EchoCancellingInput(canceller, (farEndDelayMs, { delayMs, correlation }) =>
      this.#logger.info({ echoDelayMs: delayMs, correlation: Math.round(correlation * 100) / 100, farEndDelayMs }, 'echo delay measured'),
    );
  }

  static create(opts: EchoCancellationOptions = {}): EchoCancellation {
    return new EchoCancellation(WebRtcEchoCanceller.create({ sampleRate: opts.sampleRate ?? DEFAULT_SAMPLE_RATE }));
  }

  /** Room input options that put the canceller before the VAD and the STT. */
  get inputOptions(): { audioSampleRate: number; noiseCancellation: EchoCancellingInput } {
    return { audioSampleRate: this.#canceller.sampleRate, noiseCancellation: this.#input };
  }

  /** After `session.start` with `inputOptions`: the agent's playout becomes the canceller's reference. */
  attach(session: voice.AgentSession): void {
    const room = session.output.audio;
    if (!room) throw new Error('echo cancellation needs the session audio output: start the session with a room first');
    this.#playout = new PlayoutReferenceOutput(this.#canceller, room);
    session.output.audio = this.#playout;
    this.#input.farEnd = this.#playout;
    session.on(voice.AgentSessionEventTypes.Close, () => {
      this.close();
      this.#logger.info(this.summary(), ECHO_CANCELLATION_SUMMARY_LOG);
    });
  }

  /** The call's figures so far. */
  summary(): EchoCancellationSummary {
    return { ...this.#input.summary(), referenceFrames: this.#playout?.releasedFrames ?? 0 };
  }

  /** Frees the native module; the caller's audio passes through untouched from then on. Idempotent. */
  close(): void {
    this.#canceller.close();
  }
}
