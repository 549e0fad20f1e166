import { log, voice } from '@livekit/agents';
import { TurnLatencyTracer } from './turn-latency-tracer.js';

/** One structured log line per turn (`turn latency`), and a p50/p95 summary when the session closes. */
export function logTurnLatencies(session: voice.AgentSession): TurnLatencyTracer {
  const logger = log().child({ component: 'turn-latency' });
  const tracer = new TurnLatencyTracer();
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type !== 'message') return;
    const record = tracer.onConversationItem(ev.item);
    if (record) logger.info({ turn: tracer.records.length, ...record }, 'turn latency');
  });
  session.on(voice.AgentSessionEventTypes.Close, () => {
    if (tracer.records.length) logger.info({ summary: tracer.summary() }, 'session turn latency summary');
  });
  return tracer;
}
