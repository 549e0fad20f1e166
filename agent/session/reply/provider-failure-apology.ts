import { log, voice } from '@livekit/agents';

/**
 * Logs every provider error with its cause and, when a turn was lost to a provider that failed for
 * good (retries exhausted), apologises so the caller is not left in silence. The framework keeps
 * the session alive for a few consecutive unrecoverable LLM/TTS errors and resets that count once
 * the agent has spoken, so the apology also keeps one bad provider response from ending the call.
 */
export class ProviderFailureApology {
  readonly #logger = log().child({ component: 'provider-failure' });
  #session?: voice.AgentSession;
  /** The apology queued or playing: one is enough while it lasts. */
  #apology?: voice.SpeechHandle;

  constructor(private readonly apology: string) {}

  attach(session: voice.AgentSession): void {
    this.#session = session;
    session.on(voice.AgentSessionEventTypes.Error, (ev) => {
      const err = ev.error;
      // Most provider errors wrap their cause; the interruption detector's error is the cause itself.
      const inner: unknown = 'error' in err ? err.error : err;
      const cause = inner instanceof Error ? inner.message : String(inner);
      const fields = { kind: err.type, provider: err.label, recoverable: err.recoverable, cause };
      // A request the framework cancelled itself (a preemptive reply replaced by one on the final
      // transcript) is not a provider failure: the OpenAI plugins report the abort as an error.
      if (isAbort(inner)) return this.#logger.debug(fields, 'provider request cancelled');
      if (err.recoverable) {
        this.#logger.warn(fields, 'provider request failed, retrying');
        return;
      }
      this.#logger.error(fields, 'provider request failed');
      if (err.type === 'llm_error' || err.type === 'tts_error') this.#apologise();
    });
  }

  /** The caller's utterance could not be transcribed (the STT reports this itself, not through the session). */
  transcriptionLost(): void {
    this.#apologise();
  }

  #apologise(): void {
    // With preemptive generation one turn can lose several LLM requests (a guess, then the final
    // transcript's request); the caller should hear one apology for it, not one per request.
    if (this.#apology && !this.#apology.done()) return this.#logger.debug('already apologising');
    try {
      // Not interruptible: an LLM that fails during preemptive generation does so before the user's
      // turn is over, and the end of that turn would otherwise cut the apology off at once (measured:
      // the caller heard nothing at all). It is one short sentence.
      this.#apology = this.#session?.say(this.apology, { addToChatCtx: false, allowInterruptions: false });
    } catch (e) {
      // The session may be closing (the caller hung up); nothing is lost by not apologising then.
      this.#logger.warn({ cause: (e as Error).message }, 'could not apologise');
    }
  }
}

function isAbort(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || error.name === 'APIUserAbortError' || /request was aborted/i.test(error.message);
}
