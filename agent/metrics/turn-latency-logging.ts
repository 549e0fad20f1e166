import { log, voice } from '@livekit/agents';
import type { TurnLatencyRecord } from '../../contracts/turn-record.js';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import { TurnLatencyTracer } from './turn-latency-tracer.js';

/**
 * One structured log line per turn (`turn latency`), a p50/p95 summary when the session closes,
 * and each record handed to `sink` (the worker's metrics) when there is one.
 */
export function logTurnLatencies(session: voice.AgentSession, sink?: (record: TurnLatencyRecord) => void): TurnLatencyTracer {
  const logger = log().child({ component: 'turn-latency' });
  const tracer = new TurnLatencyTracer();
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type !== 'message') return;
    const record = tracer.onConversationItem(ev.item);
    if (!record) return;
    logger.info({ turn: tracer.records.length, ...record }, WORKER_LOG.turnLatency);
    sink?.(record);
  });
  session.on(voice.AgentSessionEventTypes.Close, () => {
    if (tracer.records.length) logger.info({ summary: tracer.summary() }, WORKER_LOG.turnLatencySummary);
  });
  return tracer;
}
