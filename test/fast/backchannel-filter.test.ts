import { ReadableStream } from 'node:stream/web';
import { stt } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { backchannelFilter, isBackchannel } from '../../agent/session/interruptions/backchannel-filter.js';

const transcript = (type: stt.SpeechEventType, text: string): stt.SpeechEvent => ({
  type,
  alternatives: [{ text, language: 'en' as never, startTime: 0, endTime: 0, confidence: 1 }],
});

async function run(events: (stt.SpeechEvent | string)[], agentHasTheFloor: boolean) {
  const dropped: string[] = [];
  const out: (stt.SpeechEvent | string)[] = [];
  const source = ReadableStream.from(events);
  for await (const ev of source.pipeThrough(
    backchannelFilter(
      () => agentHasTheFloor,
      (t) => dropped.push(t),
    ),
  ))
    out.push(ev);
  return { out, dropped };
}

describe('backchannels', () => {
  it('recognizes acknowledgements and noise words, not requests to stop', () => {
    for (const t of ['uh huh', 'Mm-hmm.', 'yeah', 'Okay!', 'I see', 'got it', 'right right', 'ha', 'the', 'ahead', 'and'])
      expect(isBackchannel(t), t).toBe(true);
    for (const t of [
      '',
      'wait',
      'No!',
      'stop please',
      'yeah but what about tomorrow',
      'okay so tell me more',
      'what time is it',
      'hold on',
    ])
      expect(isBackchannel(t), t).toBe(false);
  });

  it('drops backchannel transcripts while the agent holds the floor, and only then', async () => {
    const events = [
      { type: stt.SpeechEventType.START_OF_SPEECH },
      transcript(stt.SpeechEventType.INTERIM_TRANSCRIPT, 'uh'),
      transcript(stt.SpeechEventType.FINAL_TRANSCRIPT, 'uh huh'),
      { type: stt.SpeechEventType.END_OF_SPEECH },
      transcript(stt.SpeechEventType.FINAL_TRANSCRIPT, 'wait a moment'),
    ];
    const speaking = await run(events, true);
    expect(speaking.out.map((e) => (typeof e === 'string' ? e : e.type))).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.END_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
    ]);
    expect(speaking.dropped).toEqual(['uh huh']);
    // When the agent is silent, "yeah" may be the answer to its question: it goes through.
    const listening = await run(events, false);
    expect(listening.out).toHaveLength(events.length);
    expect(listening.dropped).toEqual([]);
  });
});
