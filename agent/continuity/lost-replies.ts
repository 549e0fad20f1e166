import { log, voice } from '@livekit/agents';
import { type Room, RoomEvent } from '@livekit/rtc-node';
import { LostReplyState } from './lost-reply-state.js';

/** What the LLM is told when it says again a reply the caller did not hear. */
const SAY_AGAIN = 'Your last reply did not reach the caller: the connection dropped while you spoke. Say it again.';
/** How long to wait for the caller to subscribe to the republished audio before speaking anyway. */
const RESUBSCRIBED_WITHIN_MS = 10_000;

/**
 * A reply spoken while the room's connection was down (a livekit-server restart, a network cut)
 * went nowhere, though the session counts it as played: once the room reconnects, the agent says
 * it lost the thread and says the reply again, instead of leaving the caller waiting for an answer
 * that already "happened".
 *
 * After a full reconnection (a new server: the agent's track is published again under a new sid)
 * the caller hears nothing until it has subscribed to the new track, which can come seconds after
 * the agent is back; the apology waits for that subscription, or it is spoken into the void.
 */
export function repeatRepliesLostToReconnection(room: Room, session: voice.AgentSession, resumption: string): void {
  const logger = log().child({ component: 'lost-replies' });
  const state = new LostReplyState();
  let resubscribed = subscription();
  room.on(RoomEvent.Reconnecting, () => {
    resubscribed = subscription();
    state.step({ type: 'lost', agentSpeaking: session.agentState === 'speaking' });
    logger.warn({ replyLost: state.replyLost }, 'room connection lost: reconnecting');
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    if (ev.newState === 'speaking') state.step({ type: 'agent-speaking' });
  });
  room.on(RoomEvent.LocalTrackRepublished, () => state.step({ type: 'republished' }));
  room.on(RoomEvent.LocalTrackSubscribed, () => resubscribed.resolve());
  room.on(RoomEvent.Reconnected, async () => {
    const { replyLost, republished } = state;
    const decision = state.step({ type: 'back' });
    logger.info({ replyLost, republished }, 'room connection back');
    if (!decision?.repeat) return;
    if (decision.awaitSubscription) await heardAgain(resubscribed.promise);
    try {
      void session.interrupt({ force: true });
    } catch {
      // nothing left to interrupt
    }
    session.say(resumption, { addToChatCtx: false });
    session.generateReply({ instructions: SAY_AGAIN });
  });

  async function heardAgain(subscribed: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), RESUBSCRIBED_WITHIN_MS);
    });
    const startedAt = performance.now();
    const heard = await Promise.race([subscribed.then(() => true), gaveUp]);
    clearTimeout(timer);
    logger.info({ heard, waitedMs: Math.round(performance.now() - startedAt) }, 'caller subscribed to the republished audio');
  }
}

/** A promise the caller's next subscription to the agent's audio resolves. */
function subscription(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
