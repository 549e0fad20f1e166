import { log, voice } from '@livekit/agents';

/**
 * Logs every provider error with its cause, and when a turn's LLM or TTS request failed for good
 * (retries exhausted), apologises so the caller is not left in silence. The framework keeps the
 * session alive for a few consecutive unrecoverable errors and resets the count once the agent has
 * spoken, so the apology also keeps one bad provider response from ending the call.
 */
export function apologiseOnProviderFailure(session: voice.AgentSession, apology: string): void {
  const logger = log().child({ component: 'provider-failure' });
  session.on(voice.AgentSessionEventTypes.Error, (ev) => {
    const err = ev.error;
    // Most provider errors wrap their cause; the interruption detector's error is the cause itself.
    const inner: unknown = 'error' in err ? err.error : err;
    const cause = inner instanceof Error ? inner.message : String(inner);
    const fields = { kind: err.type, provider: 'label' in err ? err.label : undefined, recoverable: err.recoverable, cause };
    if (err.recoverable) {
      logger.warn(fields, 'provider request failed, retrying');
      return;
    }
    logger.error(fields, 'provider request failed');
    if (err.type !== 'llm_error' && err.type !== 'tts_error') return;
    try {
      session.say(apology, { addToChatCtx: false });
    } catch (e) {
      // The session may be closing (caller hung up); nothing is lost by not apologising then.
      logger.warn({ cause: (e as Error).message }, 'could not apologise');
    }
  });
}
