import { describe, expect, it } from 'vitest';
import { turnTimeline, unionLength } from '../../bench/latency/turn-timeline.js';
import type { RequestRecord } from '../../harness/local-providers/index.js';

let nextId = 1;
const request = (
  stage: RequestRecord['stage'],
  startedAt: number,
  firstOutputAt: number | undefined,
  endedAt: number,
  outcome: RequestRecord['outcome'] = 'completed',
): RequestRecord => ({
  id: nextId++,
  stage,
  input: null,
  startedAt,
  firstOutputAt,
  endedAt,
  outcome,
});

describe('the benchmark turn timeline', () => {
  const turn = { text: 'what time is it', speechStartAt: 10_000, speechEndAt: 12_000, heardAt: 13_000 };

  it('splits end to end into consecutive stages that add up, and derives the overhead', () => {
    const requests = [
      request('tts', 9_000, 9_100, 9_900), // the previous reply: before this turn
      request('stt', 12_400, 12_480, 12_480),
      request('llm', 12_500, 12_520, 12_600),
      request('tts', 12_650, 12_750, 14_000),
    ];
    const t = turnTimeline(turn, requests, 550);
    expect(t.endToEndMs).toBe(1000);
    expect(t.stages).toEqual({
      endOfSpeechToSttCommit: 400,
      sttFinal: 80,
      transcriptToLlmRequest: 20,
      llmFirstToken: 20,
      llmTokenToTtsRequest: 130,
      ttsFirstByte: 100,
      ttsByteToHeard: 250,
    });
    expect(Object.values(t.stages).reduce((a, b) => a + b, 0)).toBe(t.endToEndMs);
    // Provider time after the 550 ms silence (12 550 ms on): STT none, LLM none (12 500-12 520), TTS 100.
    expect(t.providerMs).toBe(100);
    expect(t.overheadMs).toBe(1000 - 550 - 100);
  });

  it('uses the requests that produced the heard reply, not cancelled or later ones', () => {
    const requests = [
      request('stt', 12_300, 12_350, 12_350),
      request('llm', 12_360, 12_380, 12_390, 'cancelled'), // preemptive generation on a stale transcript
      request('stt', 12_400, 12_450, 12_450),
      request('llm', 12_460, 12_470, 12_500),
      request('tts', 12_600, 12_700, 13_500),
      request('tts', 13_200, 13_300, 13_900), // the second sentence's context: after the reply was heard
    ];
    const t = turnTimeline(turn, requests, 550);
    expect(t.stages.endOfSpeechToSttCommit).toBe(400);
    expect(t.stages.transcriptToLlmRequest).toBe(10);
    expect(t.stages.ttsFirstByte).toBe(100);
  });

  it('leaves the stages empty when a provider request is missing, keeping end to end', () => {
    const t = turnTimeline(turn, [request('tts', 12_600, 12_700, 13_000)], 550);
    expect(t.endToEndMs).toBe(1000);
    expect(t.stages).toEqual({});
    expect(t.overheadMs).toBeUndefined();
  });

  it('counts overlapping provider intervals once, within the window', () => {
    expect(
      unionLength(
        [
          [0, 10],
          [5, 20],
          [30, 40],
        ],
        [0, 100],
      ),
    ).toBe(30);
    expect(
      unionLength(
        [
          [0, 10],
          [5, 20],
          [30, 40],
        ],
        [8, 35],
      ),
    ).toBe(17);
    expect(unionLength([[50, 40]], [0, 100])).toBe(0);
  });
});
