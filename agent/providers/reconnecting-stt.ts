import { type APIConnectOptions, type AudioBuffer, log, stt } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

export interface ReconnectOptions {
  /** Pause before opening a new provider stream; doubles on each consecutive failure, up to 8×. */
  retryIntervalMs: number;
  /** The caller had started an utterance that the failed stream took with it. */
  onUtteranceLost?: () => void;
}

/**
 * Keeps a streaming STT alive for the whole call. The OpenAI plugin's realtime stream simply ends
 * when the provider closes its socket (no error: the agent would be deaf for the rest of the call),
 * and an `error` event from the provider ends it for good as an unrecoverable session error. Here
 * every provider stream that ends while the call goes on is replaced by a new one, and an utterance
 * it was transcribing is reported lost so the agent can ask again.
 */
export class ReconnectingSTT extends stt.STT {
  readonly label: string;
  readonly #logger = log().child({ component: 'reconnecting-stt' });

  constructor(
    readonly inner: stt.STT,
    private readonly opts: ReconnectOptions,
  ) {
    super(inner.capabilities);
    this.label = `ReconnectingSTT<${inner.label}>`;
    // Errors of the provider streams are handled here; unheard, an EventEmitter 'error' would throw.
    inner.on('error', (e) => this.#logger.warn({ stt: inner.label, recoverable: e.recoverable, cause: e.error?.message }, 'provider stream failed'));
    inner.on('metrics_collected', (m) => this.emit('metrics_collected', m));
  }

  override get model(): string {
    return this.inner.model;
  }

  override get provider(): string {
    return this.inner.provider;
  }

  protected _recognize(frame: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    return this.inner.recognize(frame, abortSignal);
  }

  stream(options: { connOptions?: APIConnectOptions } = {}): stt.SpeechStream {
    return new ReconnectingSpeechStream(this, options.connOptions, this.#logger, this.opts);
  }

  override async close(): Promise<void> {
    await this.inner.close();
  }
}

class ReconnectingSpeechStream extends stt.SpeechStream {
  label = 'ReconnectingSpeechStream';

  constructor(
    private readonly owner: ReconnectingSTT,
    private readonly providerConnOptions: APIConnectOptions | undefined,
    private readonly events: ReturnType<typeof log>,
    private readonly opts: ReconnectOptions,
  ) {
    super(owner, undefined, providerConnOptions);
  }

  protected async run(): Promise<void> {
    let current: stt.SpeechStream | undefined;
    let inputEnded = false;
    // One pump for the whole call: frames go to whichever provider stream is open (none for the
    // few ms of a reconnection).
    const pump = (async () => {
      for await (const item of this.input) {
        if (!current) continue;
        try {
          if (item === ReconnectingSpeechStream.FLUSH_SENTINEL) current.flush();
          else current.pushFrame(item as AudioFrame);
        } catch {
          // the provider stream closed between two frames: the loop below replaces it
        }
      }
      inputEnded = true;
      try {
        current?.endInput();
      } catch {
        // already closed
      }
    })();

    let failures = 0;
    while (!inputEnded && !this.abortSignal.aborted) {
      current = this.owner.inner.stream({ connOptions: this.providerConnOptions });
      let utteranceOpen = false;
      for await (const event of current) {
        if (event.type === stt.SpeechEventType.START_OF_SPEECH) utteranceOpen = true;
        if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
          utteranceOpen = false;
          failures = 0;
        }
        if (this.queue.closed) break;
        this.queue.put(event);
      }
      if (inputEnded || this.abortSignal.aborted) break;
      current.close();
      current = undefined;
      failures++;
      const waitMs = this.opts.retryIntervalMs * 2 ** Math.min(failures - 1, 3);
      this.events.warn({ stt: this.owner.inner.label, utteranceLost: utteranceOpen, reconnectInMs: waitMs }, 'provider stream ended mid-call, reconnecting');
      if (utteranceOpen) {
        // The consumer would otherwise wait for the end of a speech that will never come.
        this.queue.put({ type: stt.SpeechEventType.END_OF_SPEECH });
        this.opts.onUtteranceLost?.();
      }
      await new Promise((r) => setTimeout(r, waitMs));
    }
    current?.close();
    await pump;
  }
}
