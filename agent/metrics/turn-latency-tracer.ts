import type { llm } from '@livekit/agents';
import { TURN_LATENCY_FIELDS, type TurnLatencyField, type TurnLatencyRecord } from '../../contracts/turn-record.js';

export interface StageSummary {
  count: number;
  p50: number;
  p95: number;
}

const toMs = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));

/**
 * Ties each user message to the agent's reply from the per-turn metrics the framework already puts
 * on chat messages, and derives the stage durations. A user message that gets no reply (a false
 * interruption, a lost turn) is replaced by the next one; a reply without a timed user message
 * (the greeting, an apology) is not a turn.
 */
export class TurnLatencyTracer {
  readonly records: TurnLatencyRecord[] = [];
  #pendingUser?: llm.ChatMessage;

  /** Feed every conversation item in order; returns the record a reply completes. */
  onConversationItem(message: llm.ChatMessage): TurnLatencyRecord | undefined {
    if (message.role === 'user') {
      if (message.metrics.stoppedSpeakingAt !== undefined) this.#pendingUser = message;
      return undefined;
    }
    if (message.role !== 'assistant' || !this.#pendingUser) return undefined;
    const user = this.#pendingUser;
    this.#pendingUser = undefined;
    const stoppedAt = user.metrics.stoppedSpeakingAt!;
    const reply = message.metrics;
    const record: TurnLatencyRecord = {
      userText: user.textContent ?? '',
      agentText: message.textContent ?? '',
      interrupted: message.interrupted,
      userStoppedSpeakingAt: Math.round(stoppedAt * 1000),
      endOfTurnMs: toMs(user.metrics.endOfTurnDelay),
      transcriptMs: toMs(user.metrics.transcriptionDelay),
      llmTtftMs: toMs(reply.llmNodeTtft),
      ttsTtfbMs: toMs(reply.ttsNodeTtfb),
      firstAudioMs: toMs(reply.e2eLatency ?? (reply.startedSpeakingAt === undefined ? undefined : reply.startedSpeakingAt - stoppedAt)),
    };
    this.records.push(record);
    return record;
  }

  /** p50/p95 of each stage over the turns that measured it (nearest rank). */
  summary(): Partial<Record<TurnLatencyField, StageSummary>> & { turns: number; interrupted: number } {
    const out: Partial<Record<TurnLatencyField, StageSummary>> & { turns: number; interrupted: number } = {
      turns: this.records.length,
      interrupted: this.records.filter((r) => r.interrupted).length,
    };
    for (const stage of TURN_LATENCY_FIELDS) {
      const values = this.records.map((r) => r[stage]).filter((v): v is number => v !== undefined);
      if (values.length) out[stage] = { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95) };
    }
    return out;
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
