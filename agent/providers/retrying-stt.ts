import type { AudioBuffer } from '@livekit/agents';
import { APIError, log, stt } from '@livekit/agents';

export interface RetryOptions {
  maxRetry: number;
  retryIntervalMs: number;
  /** Per-attempt timeout: a stalled transcription is abandoned and retried. */
  timeoutMs: number;
  /** Called once an utterance could not be transcribed at all, so the caller can be told. */
  onGiveUp?: (error: unknown) => void;
}

/**
 * Retries a non-streaming STT's transcription of one utterance. The framework's VAD stream adapter
 * makes a single `recognize()` call per utterance and drops the utterance if it fails, so without
 * this a transient 500 from the provider would silently lose what the caller said.
 */
export class RetryingSTT extends stt.STT {
  readonly label: string;
  readonly #logger = log().child({ component: 'retrying-stt' });

  constructor(
    private readonly inner: stt.STT,
    private readonly opts: RetryOptions,
  ) {
    super(inner.capabilities);
    this.label = `RetryingSTT<${inner.label}>`;
  }

  override get model(): string {
    return this.inner.model;
  }

  override get provider(): string {
    return this.inner.provider;
  }

  protected async _recognize(frame: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.opts.timeoutMs);
      const signal = abortSignal ? AbortSignal.any([abortSignal, timeout]) : timeout;
      try {
        return await this.inner.recognize(frame, signal);
      } catch (error) {
        if (abortSignal?.aborted) throw error;
        const cause = (error as Error).message ?? String(error);
        if (attempt >= this.opts.maxRetry || !isRetryable(error, timeout)) {
          this.#logger.error({ stt: this.inner.label, attempts: attempt + 1, cause }, 'transcription failed, utterance lost');
          this.opts.onGiveUp?.(error);
          throw error;
        }
        this.#logger.warn({ stt: this.inner.label, attempt: attempt + 1, cause }, 'transcription failed, retrying');
        await new Promise((r) => setTimeout(r, this.opts.retryIntervalMs));
      }
    }
  }

  stream(): stt.SpeechStream {
    return this.inner.stream();
  }

  override async close(): Promise<void> {
    await this.inner.close();
  }
}

/** Server errors, rate limits, timeouts and dropped connections are worth another try; a 4xx is not. */
function isRetryable(error: unknown, timeout: AbortSignal): boolean {
  if (timeout.aborted) return true;
  if (error instanceof APIError) return error.retryable;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return status >= 500 || status === 429 || status === 408;
  return true;
}
