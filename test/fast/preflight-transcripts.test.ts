import { ReadableStream } from 'node:stream/web';
import { stt } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { preflightOnEndOfUtterance } from '../../agent/session/turn-taking/preflight-transcripts.js';

const event = (type: stt.SpeechEventType, text?: string): stt.SpeechEvent => ({
  type,
  ...(text === undefined ? {} : { alternatives: [{ text, language: 'en' as never, startTime: 0, endTime: 0, confidence: 1 }] }),
});

async function through(events: stt.SpeechEvent[]) {
  const out: { type: stt.SpeechEventType; text?: string }[] = [];
  for await (const ev of ReadableStream.from(events).pipeThrough(preflightOnEndOfUtterance())) {
    if (typeof ev !== 'string') out.push({ type: ev.type, text: ev.alternatives?.[0]?.text });
  }
  return out;
}

describe('preflight transcripts', () => {
  it('turn the last interim into a preflight transcript when the utterance ends, before its final', async () => {
    const out = await through([
      event(stt.SpeechEventType.START_OF_SPEECH),
      event(stt.SpeechEventType.INTERIM_TRANSCRIPT, 'what is'),
      event(stt.SpeechEventType.INTERIM_TRANSCRIPT, 'what is the weather'),
      event(stt.SpeechEventType.END_OF_SPEECH),
      event(stt.SpeechEventType.FINAL_TRANSCRIPT, 'what is the weather'),
    ]);
    expect(out.map((e) => e.type)).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.INTERIM_TRANSCRIPT,
      stt.SpeechEventType.INTERIM_TRANSCRIPT,
      stt.SpeechEventType.PREFLIGHT_TRANSCRIPT,
      stt.SpeechEventType.END_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
    ]);
    expect(out[3]!.text).toBe('what is the weather');
  });

  it('add nothing when there was no interim, or the final came first', async () => {
    const out = await through([
      event(stt.SpeechEventType.START_OF_SPEECH),
      event(stt.SpeechEventType.END_OF_SPEECH),
      event(stt.SpeechEventType.START_OF_SPEECH),
      event(stt.SpeechEventType.INTERIM_TRANSCRIPT, 'hello'),
      event(stt.SpeechEventType.FINAL_TRANSCRIPT, 'hello'),
      event(stt.SpeechEventType.END_OF_SPEECH),
    ]);
    expect(out.some((e) => e.type === stt.SpeechEventType.PREFLIGHT_TRANSCRIPT)).toBe(false);
  });
});
