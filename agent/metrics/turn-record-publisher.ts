import { log } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { type PublishedTurnRecord, TURN_RECORD_TOPIC, type TurnLatencyRecord } from '../../contracts/turn-record.js';

/**
 * Publishes each turn's latency record to the room (reliable data, TURN_RECORD_TOPIC), so the
 * caller's page can show where each turn's time went. A failed publish is logged and lost: it never
 * holds up the call.
 */
export function turnRecordPublisher(room: Room): (record: TurnLatencyRecord) => void {
  const logger = log().child({ component: 'turn-record-publisher' });
  const encoder = new TextEncoder();
  let turn = 0;
  return ({ userText: _u, agentText: _a, ...timings }) => {
    const published: PublishedTurnRecord = { turn: ++turn, ...timings };
    const participant = room.localParticipant;
    if (!room.isConnected || !participant) return;
    participant
      .publishData(encoder.encode(JSON.stringify(published)), { reliable: true, topic: TURN_RECORD_TOPIC })
      .catch((e: unknown) => logger.warn({ cause: (e as Error).message }, 'turn record not published to the room'));
  };
}
