/** What the room and the session report, as they happen. */
export type ConnectionEvent =
  /** The room's connection dropped; whether the agent was speaking then. */
  | { type: 'lost'; agentSpeaking: boolean }
  /** The agent started speaking (a reply goes nowhere while the connection is down). */
  | { type: 'agent-speaking' }
  /** The agent's track was published again: a full reconnection, to a new server. */
  | { type: 'republished' }
  /** The room's connection is back. */
  | { type: 'back' };

/** What to do once the connection is back: say the lost reply again, after the caller hears the agent's new track. */
export type LostReplyDecision = { repeat: false } | { repeat: true; awaitSubscription: boolean };

/**
 * Whether a reply was spoken while the room's connection was down, and so went nowhere though the
 * session counts it as played. Pure: events in, and once the connection is back, the decision.
 */
export class LostReplyState {
  #down = false;
  #replyLost = false;
  #republished = false;

  get replyLost(): boolean {
    return this.#replyLost;
  }

  get republished(): boolean {
    return this.#republished;
  }

  step(event: ConnectionEvent): LostReplyDecision | undefined {
    switch (event.type) {
      case 'lost':
        this.#down = true;
        this.#republished = false;
        this.#replyLost = event.agentSpeaking;
        return undefined;
      case 'agent-speaking':
        if (this.#down) this.#replyLost = true;
        return undefined;
      case 'republished':
        this.#republished = true;
        return undefined;
      case 'back': {
        this.#down = false;
        if (!this.#replyLost) return { repeat: false };
        this.#replyLost = false;
        return { repeat: true, awaitSubscription: this.#republished };
      }
    }
  }
}
