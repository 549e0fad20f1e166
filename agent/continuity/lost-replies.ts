import { log, voice } from '@livekit/agents';
import { type Room, RoomEvent } from '@livekit/rtc-node';

/** What the LLM is told when it says again a reply the caller did not hear. */
const SAY_AGAIN = 'Your last reply did not reach the caller: the connection dropped while you spoke. Say it again.';

/**
 * A reply spoken while the room's connection was down (a livekit-server restart, a network cut)
 * went nowhere, though the session counts it as played: once the room reconnects, the agent says
 * it lost the thread and says the reply again, instead of leaving the caller waiting for an answer
 * that already "happened".
 */
export function repeatRepliesLostToReconnection(room: Room, session: voice.AgentSession, resumption: string): void {
  const logger = log().child({ component: 'lost-replies' });
  let disconnected = false;
  let replyLost = false;
  room.on(RoomEvent.Reconnecting, () => {
    disconnected = true;
    replyLost = session.agentState === 'speaking';
    logger.warn({ replyLost }, 'room connection lost: reconnecting');
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
    if (disconnected && ev.newState === 'speaking') replyLost = true;
  });
  room.on(RoomEvent.Reconnected, () => {
    disconnected = false;
    logger.info({ replyLost }, 'room connection back');
    if (!replyLost) return;
    replyLost = false;
    try {
      void session.interrupt({ force: true });
    } catch {
      // nothing left to interrupt
    }
    session.say(resumption, { addToChatCtx: false });
    session.generateReply({ instructions: SAY_AGAIN });
  });
}
