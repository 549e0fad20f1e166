import { type APIConnectOptions, type AudioBuffer, log, stt } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

export interface ReconnectOptions {
  /** Pause before opening a new provider stream; doubles on each consecutive failure, up to 8×. */
  retryIntervalMs: number;
  /** The caller had started an utterance that the failed stream took with it. */
  onUtteranceLost?: () => void;
  /**
   * The provider runs without turn detection: the agent commits each utterance (commit()), and the
   * provider sends no speech events of its own.
   */
  agentCommits?: boolean;
}

/**
 * Keeps a streaming STT alive for the whole call. The OpenAI plugin's realtime stream simply ends
 * when the provider closes its socket (no error: the agent would be deaf for the rest of the call),
 * and an `error` event from the provider ends it for good as an unrecoverable session error. Here
 * every provider stream that ends while the call goes on is replaced by a new one, and an utterance
 * it was transcribing is reported lost so the agent can ask again. What the caller says while the
 * provider is unreachable is kept (up to 20 s) and transcribed once it is back.
 */
export class ReconnectingSTT extends stt.STT {
  readonly label: string;
  readonly #logger = log().child({ component: 'reconnecting-stt' });
  /** The stream the session reads now (a new agent activity opens a new one). */
  #live?: ReconnectingSpeechStream;

  constructor(
    readonly inner: stt.STT,
    private readonly opts: ReconnectOptions,
  ) {
    super(inner.capabilities);
    this.label = `ReconnectingSTT<${inner.label}>`;
    // Errors of the provider streams are handled here; unheard, an EventEmitter 'error' would throw.
    inner.on('error', (e) =>
      this.#logger.warn({ stt: inner.label, recoverable: e.recoverable, cause: e.error?.message }, 'provider stream failed'),
    );
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
    this.#live = new ReconnectingSpeechStream(this, options.connOptions, this.#logger, this.opts);
    return this.#live;
  }

  /**
   * The caller started speaking (the session's VAD heard it): for a provider that commits only when
   * told to (no `turn_detection`), which sends no speech events of its own, this is when an
   * utterance opens and could be lost with its stream.
   */
  speechStarted(): void {
    this.#live?.speechStarted();
  }

  /** The caller stopped speaking: the audio so far is committed, and the provider transcribes it now. Whether it was. */
  commit(): boolean {
    if (!this.opts.agentCommits || !this.#live) return false;
    try {
      this.#live.flush();
      this.#live.committed();
      return true;
    } catch {
      // the session closed its stream (the call is ending): nothing left to transcribe
      return false;
    }
  }

  override async close(): Promise<void> {
    await this.inner.close();
  }
}

/** The most of the caller's audio kept while the provider is unreachable, to transcribe once it is back. */
const MAX_BACKLOG_MS = 20_000;
/** A new provider stream that stays open this long, or sends anything, is taken to be working. */
const STREAM_PROVEN_MS = 5000;

/**
 * The caller's audio since the provider stream failed: replayed into each new stream until one
 * works, so what the caller said while the provider was unreachable is transcribed once it is back.
 */
class Backlog {
  readonly #frames: AudioFrame[] = [];
  #ms = 0;

  add(frame: AudioFrame): void {
    this.#frames.push(frame);
    this.#ms += (frame.samplesPerChannel / frame.sampleRate) * 1000;
    while (this.#ms > MAX_BACKLOG_MS) {
      const dropped = this.#frames.shift()!;
      this.#ms -= (dropped.samplesPerChannel / dropped.sampleRate) * 1000;
    }
  }

  replayInto(stream: stt.SpeechStream): void {
    for (const frame of this.#frames) stream.pushFrame(frame);
  }
}

class ReconnectingSpeechStream extends stt.SpeechStream {
  label = 'ReconnectingSpeechStream';
  /** The caller has spoken since the last final transcript: a stream ending now loses what they said. */
  #utteranceOpen = false;
  /** The agent committed an utterance whose first transcript has not come yet. */
  #awaitingTranscript = false;

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
    let backlog: Backlog | undefined;
    // One pump for the whole call: frames go to whichever provider stream is open (none for the
    // few ms of a reconnection), and to the backlog while the provider is not known to work.
    const pump = (async () => {
      for await (const item of this.input) {
        if (item !== ReconnectingSpeechStream.FLUSH_SENTINEL) backlog?.add(item as AudioFrame);
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
      this.#utteranceOpen = false;
      backlog?.replayInto(current);
      const proven = setTimeout(() => (backlog = undefined), STREAM_PROVEN_MS);
      for await (const event of current) {
        backlog = undefined;
        if (event.type === stt.SpeechEventType.START_OF_SPEECH) this.#utteranceOpen = true;
        if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
          this.#utteranceOpen = false;
          failures = 0;
        }
        if (this.queue.closed) break;
        this.queue.put(event);
        // The first transcript of an utterance the agent committed is the end of it, as a provider's
        // own speech_stopped would have said: agent/session/turn-taking/preflight-transcripts.ts starts the LLM on it.
        if (
          this.#awaitingTranscript &&
          (event.type === stt.SpeechEventType.INTERIM_TRANSCRIPT || event.type === stt.SpeechEventType.FINAL_TRANSCRIPT)
        ) {
          this.#awaitingTranscript = false;
          if (event.type === stt.SpeechEventType.INTERIM_TRANSCRIPT) this.queue.put({ type: stt.SpeechEventType.END_OF_SPEECH });
        }
      }
      clearTimeout(proven);
      if (inputEnded || this.abortSignal.aborted) break;
      current.close();
      current = undefined;
      backlog ??= new Backlog();
      failures++;
      const waitMs = this.opts.retryIntervalMs * 2 ** Math.min(failures - 1, 3);
      const utteranceLost = this.#utteranceOpen;
      this.#utteranceOpen = false;
      this.events.warn(
        { stt: this.owner.inner.label, utteranceLost, reconnectInMs: waitMs },
        'provider stream ended mid-call, reconnecting',
      );
      if (utteranceLost) {
        // The consumer would otherwise wait for the end of a speech that will never come.
        this.queue.put({ type: stt.SpeechEventType.END_OF_SPEECH });
        this.opts.onUtteranceLost?.();
      }
      await new Promise((r) => setTimeout(r, waitMs));
    }
    current?.close();
    await pump;
  }

  speechStarted(): void {
    this.#utteranceOpen = true;
  }

  committed(): void {
    this.#awaitingTranscript = true;
  }
}
