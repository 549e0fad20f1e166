import { ReadableStream } from 'node:stream/web';
import { stt } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { PendingTranscripts } from '../../agent/session/turn-taking/pending-transcript.js';

const { START_OF_SPEECH, END_OF_SPEECH, INTERIM_TRANSCRIPT, FINAL_TRANSCRIPT, RECOGNITION_USAGE } = stt.SpeechEventType;

/** `events` (type and request id) through the watch; what it reported after each one. */
async function pendingAfterEach(events: [stt.SpeechEventType, string?][]): Promise<boolean[]> {
  const pending = new PendingTranscripts();
  const after: boolean[] = [];
  const watched = ReadableStream.from(events.map(([type, requestId]) => ({ type, requestId }) as stt.SpeechEvent)).pipeThrough(
    pending.watch(),
  );
  for await (const event of watched) {
    expect(typeof event).not.toBe('string');
    after.push(pending.pending);
  }
  return after;
}

describe('the transcripts the STT owes', () => {
  it('owes one from its start of speech until its final, and its usage report does not count it twice', async () => {
    expect(
      await pendingAfterEach([
        [START_OF_SPEECH],
        [INTERIM_TRANSCRIPT, 'a'],
        [END_OF_SPEECH],
        [FINAL_TRANSCRIPT, 'a'],
        [RECOGNITION_USAGE, 'a'],
      ]),
    ).toEqual([true, true, true, false, false]);
  });

  it('is paid by a usage report alone when the utterance had no words', async () => {
    expect(await pendingAfterEach([[START_OF_SPEECH], [END_OF_SPEECH], [RECOGNITION_USAGE, 'a']])).toEqual([true, true, false]);
  });

  it('still owes the second utterance when it starts before the first one is transcribed', async () => {
    const events: [stt.SpeechEventType, string?][] = [
      [START_OF_SPEECH],
      [END_OF_SPEECH],
      [START_OF_SPEECH],
      [FINAL_TRANSCRIPT, 'a'],
      [RECOGNITION_USAGE, 'a'],
      [END_OF_SPEECH],
      [FINAL_TRANSCRIPT, 'b'],
      [RECOGNITION_USAGE, 'b'],
    ];
    expect(await pendingAfterEach(events)).toEqual([true, true, true, true, true, true, false, false]);
  });

  it("owes an utterance the agent committed (its VAD heard the caller stop) until that utterance's final", async () => {
    const pending = new PendingTranscripts();
    const watched = ReadableStream.from([
      { type: FINAL_TRANSCRIPT, requestId: 'a' },
      { type: RECOGNITION_USAGE, requestId: 'a' },
    ] as stt.SpeechEvent[]).pipeThrough(pending.watch());
    pending.committed();
    expect(pending.pending).toBe(true);
    for await (const _ of watched);
    expect(pending.pending).toBe(false);
  });

  it('reports each change once, and a committed turn owes nothing (a late final then does not go below zero)', async () => {
    const changes: boolean[] = [];
    const pending = new PendingTranscripts();
    pending.onChange((p) => changes.push(p));
    const pass = async (events: stt.SpeechEvent[]) => {
      for await (const _ of ReadableStream.from(events).pipeThrough(pending.watch()));
    };
    await pass([{ type: START_OF_SPEECH }, { type: START_OF_SPEECH }]);
    pending.reset();
    await pass([{ type: FINAL_TRANSCRIPT, requestId: 'late' }]);
    expect(pending.pending).toBe(false);
    await pass([{ type: START_OF_SPEECH }]);
    expect(changes).toEqual([true, false, true]);
  });
});
