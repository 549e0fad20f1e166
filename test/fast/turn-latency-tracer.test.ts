import { llm } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { percentile, TurnLatencyTracer } from '../../agent/metrics/turn-latency-tracer.js';

const T0 = 1_800_000_000; // seconds, as the framework stores them

function user(text: string, stoppedAt: number, endOfTurn = 0.6, transcription = 0.2) {
  return llm.ChatMessage.create({
    role: 'user',
    content: text,
    metrics: {
      startedSpeakingAt: stoppedAt - 1.5,
      stoppedSpeakingAt: stoppedAt,
      endOfTurnDelay: endOfTurn,
      transcriptionDelay: transcription,
    },
  });
}

function reply(text: string, e2e: number, opts: { interrupted?: boolean; ttft?: number; ttfb?: number } = {}) {
  return llm.ChatMessage.create({
    role: 'assistant',
    content: text,
    interrupted: opts.interrupted ?? false,
    metrics: { llmNodeTtft: opts.ttft ?? 0.3, ttsNodeTtfb: opts.ttfb ?? 0.1, e2eLatency: e2e },
  });
}

describe('TurnLatencyTracer', () => {
  it('turns a user message and its reply into one record with derived stage durations', () => {
    const tracer = new TurnLatencyTracer();
    expect(tracer.onConversationItem(user('what is the weather', T0))).toBeUndefined();
    const record = tracer.onConversationItem(reply('It is sunny.', 1.2345));
    expect(record).toEqual({
      userText: 'what is the weather',
      agentText: 'It is sunny.',
      interrupted: false,
      userStoppedSpeakingAt: T0 * 1000,
      endOfTurnMs: 600,
      transcriptMs: 200,
      llmTtftMs: 300,
      ttsTtfbMs: 100,
      firstAudioMs: 1235,
    });
  });

  it('does not count the greeting or an apology without a timed user message as a turn', () => {
    const tracer = new TurnLatencyTracer();
    expect(tracer.onConversationItem(llm.ChatMessage.create({ role: 'assistant', content: 'Hello!' }))).toBeUndefined();
    tracer.onConversationItem(user('hi', T0));
    tracer.onConversationItem(reply('Hi there.', 1));
    expect(tracer.onConversationItem(llm.ChatMessage.create({ role: 'assistant', content: 'Sorry.' }))).toBeUndefined();
    expect(tracer.records).toHaveLength(1);
  });

  it('pairs the reply with the latest user message when an earlier one got no reply', () => {
    const tracer = new TurnLatencyTracer();
    tracer.onConversationItem(user('uh', T0));
    tracer.onConversationItem(user('tell me a joke', T0 + 2));
    const record = tracer.onConversationItem(reply('Why did the chicken...', 0.9, { interrupted: true }));
    expect(record).toMatchObject({ userText: 'tell me a joke', interrupted: true, userStoppedSpeakingAt: (T0 + 2) * 1000 });
  });

  it('derives the end-to-end latency from the first audio when the framework gave no e2e figure', () => {
    const tracer = new TurnLatencyTracer();
    tracer.onConversationItem(user('hi', T0));
    const message = llm.ChatMessage.create({ role: 'assistant', content: 'Hi.', metrics: { startedSpeakingAt: T0 + 0.8 } });
    expect(tracer.onConversationItem(message)?.firstAudioMs).toBe(800);
  });

  it('summarizes each stage with nearest-rank percentiles over the turns that measured it', () => {
    const tracer = new TurnLatencyTracer();
    const e2e = [0.9, 1.0, 1.1, 1.2, 2.0];
    e2e.forEach((s, i) => {
      tracer.onConversationItem(user(`q${i}`, T0 + 10 * i));
      tracer.onConversationItem(reply(`a${i}`, s, { interrupted: i === 4 }));
    });
    const summary = tracer.summary();
    expect(summary.turns).toBe(5);
    expect(summary.interrupted).toBe(1);
    expect(summary.firstAudioMs).toEqual({ count: 5, p50: 1100, p95: 2000 });
    expect(summary.llmTtftMs).toEqual({ count: 5, p50: 300, p95: 300 });
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
  });
});
