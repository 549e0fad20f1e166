import { log, voice } from '@livekit/agents';
import { type EndpointingDelays, type EndpointingPolicy, endpointingDelays } from './endpointing-policy.js';

/**
 * Applies the endpointing policy to a session as the caller speaks: each transcript (interim or
 * final) sets the delays the end-of-turn model chooses between, so a caller who has just said
 * "four seven" or "um" is waited for. The framework reads the delays when it decides a turn, and a
 * final transcript is told to the session before it decides on it (agents-js 1.8.1
 * audio_recognition: onFinalTranscript, then runEOUDetection). A committed turn starts the next
 * one from no words.
 */
export class AdaptiveEndpointing {
  readonly #logger = log().child({ component: 'endpointing' });
  #applied?: EndpointingDelays;

  constructor(
    private readonly session: voice.AgentSession,
    private readonly policy: EndpointingPolicy,
    private readonly phoneLine: boolean,
  ) {
    session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) => this.#apply(ev.transcript));
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message' && ev.item.role === 'user') this.#apply('');
    });
  }

  #apply(transcript: string): void {
    const delays = endpointingDelays(transcript, this.phoneLine, this.policy);
    // The session starts with the delays for no words (agent/session/session-options.ts).
    const applied = this.#applied ?? endpointingDelays('', this.phoneLine, this.policy);
    if (delays.minDelay === applied.minDelay && delays.maxDelay === applied.maxDelay) return;
    this.#applied = delays;
    this.#logger.debug(delays, 'endpointing delays');
    this.session.updateOptions({ turnHandling: { endpointing: delays } });
  }
}
