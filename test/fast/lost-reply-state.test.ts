import { describe, expect, it } from 'vitest';
import { type ConnectionEvent, LostReplyState } from '../../agent/continuity/lost-reply-state.js';

/** The decision once the connection is back, after `events`. */
const decided = (...events: ConnectionEvent[]) => {
  const state = new LostReplyState();
  for (const e of events) state.step(e);
  return state.step({ type: 'back' });
};

describe('a reply lost to a dropped room connection', () => {
  it('is said again when the agent was speaking as the connection dropped, or started to while it was down', () => {
    expect(decided({ type: 'lost', agentSpeaking: true })).toEqual({ repeat: true, awaitSubscription: false });
    expect(decided({ type: 'lost', agentSpeaking: false }, { type: 'agent-speaking' })).toEqual({ repeat: true, awaitSubscription: false });
  });

  it('waits for the caller to hear the new track after a full reconnection', () => {
    expect(decided({ type: 'lost', agentSpeaking: true }, { type: 'republished' })).toEqual({ repeat: true, awaitSubscription: true });
  });

  it('is nothing to repeat when the agent was silent throughout, or spoke only while connected', () => {
    expect(decided({ type: 'lost', agentSpeaking: false })).toEqual({ repeat: false });
    expect(decided({ type: 'agent-speaking' }, { type: 'lost', agentSpeaking: false })).toEqual({ repeat: false });
  });

  it('is said once: a second drop without speech repeats nothing, and a republish is forgotten at the next drop', () => {
    const state = new LostReplyState();
    state.step({ type: 'lost', agentSpeaking: true });
    state.step({ type: 'republished' });
    expect(state.step({ type: 'back' })).toEqual({ repeat: true, awaitSubscription: true });
    state.step({ type: 'lost', agentSpeaking: false });
    expect(state.step({ type: 'back' })).toEqual({ repeat: false });
    state.step({ type: 'lost', agentSpeaking: true });
    expect(state.step({ type: 'back' })).toEqual({ repeat: true, awaitSubscription: false });
  });
});
