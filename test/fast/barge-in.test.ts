import { describe, expect, it } from 'vitest';
import { normalizeWords } from '../../contracts/words.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { CALLER_VOICE } from '../../harness/speech/voices.js';
import { waitFor } from '../../harness/stack/wait.js';
import { type InProcessCall, useInProcessCalls } from '../support/in-process-call.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

/**
 * Talking over the agent, in process (test/support/in-process-call.ts): what it takes for the floor
 * and what for a listener's "uh huh", on the worker's defaults unless a test says otherwise.
 */
const STORY = 'please tell me a story';
/** Past the framework's 3 s AEC warm-up (which ignores the caller), and well before the story's end. */
const INTO_THE_STORY_MS = 3500;

describe('talking over the agent, in process', () => {
  const calls = useInProcessCalls();
  const lastUserText = (input: unknown) => (input as { role: string; content: string }[]).filter((m) => m.role === 'user').at(-1)?.content;

  /**
   * Asks for the ~25 s story and, once it is well under way, says `text` over it (its final
   * transcript `finalAfterMs` after the caller stopped); returns the story's message.
   */
  async function talkOverTheStory(call: InProcessCall, text: string, finalAfterMs?: number) {
    await call.reply(0);
    await call.stt.utter(STORY);
    const asked = call.history.length;
    await call.speaking();
    await new Promise((r) => setTimeout(r, INTO_THE_STORY_MS));
    await call.stt.utter(text, { finalAfterMs });
    return call.reply(asked);
  }

  it('takes "uh huh" over its reply for a backchannel: the reply plays on to its end', async () => {
    const story = await talkOverTheStory(await calls.start(), 'uh huh');
    expect(story.interrupted).toBe(false);
    expect(normalizeWords(story.text)).toEqual(normalizeWords(scriptedAnswer(STORY)));
  });

  it('stops its reply for a caller who takes the floor', async () => {
    const story = await talkOverTheStory(await calls.start(), 'wait please stop there');
    expect(story.interrupted).toBe(true);
  });

  it('with backchannels not ignored, "uh huh" cuts the reply too', async () => {
    const story = await talkOverTheStory(await calls.start({ TURN_IGNORE_BACKCHANNELS: 'false' }), 'uh huh');
    expect(story.interrupted).toBe(true);
  });

  it('answers a barge-in knowing what the caller heard of the cut reply, even when the transcript comes late', async () => {
    // A slow STT: the final comes after the turn's silence has passed, so the turn ends as the reply is cut.
    const call = await calls.start();
    const story = await talkOverTheStory(call, 'wait please stop there', 800);
    expect(story.interrupted).toBe(true);
    const answer = await waitFor(
      () => calls.providers.log.list('llm').find((r) => r.outcome === 'completed' && lastUserText(r.input) === 'wait please stop there'),
      {
        timeoutMs: 10_000,
        what: 'the LLM to answer the barge-in',
      },
    );
    const said = (answer.input as { role: string; content: string }[])
      .filter((m) => m.role === 'assistant')
      .map((m) => normalizeWords(m.content).join(' '));
    expect(said).toContain(normalizeWords(story.text).join(' '));
  });

  describe('heard over the story, with its transcript coming later than the false-interruption timeout', () => {
    /** As pocketsphinx's came on a loaded machine in CI; the timeout is the worker's default, 1 s. */
    const FINAL_AFTER_MS = 2000;
    /**
     * Asks for the story and, once it is under way, says `text` over it into the microphone, so
     * the session's VAD pauses the story; the final transcript comes FINAL_AFTER_MS after the
     * speech ended. Returns the story's message and when the speech ended and the final came.
     */
    async function speakOverTheStory(call: InProcessCall, text: string) {
      const { pcm } = await new FliteSynthesizer({ voice: CALLER_VOICE }).synthesize(text);
      await call.reply(0);
      await call.stt.utter(STORY);
      const asked = call.history.length;
      await call.speaking();
      await new Promise((r) => setTimeout(r, INTO_THE_STORY_MS));
      let spokeUntil = 0;
      const spoken = call.microphone.play(pcm).then(() => (spokeUntil = Date.now()));
      const { finalAt } = await call.stt.utter(text, { during: spoken, finalAfterMs: FINAL_AFTER_MS });
      return { story: await call.reply(asked), spokeUntil, finalAt };
    }

    it('the story stays paused until the words are known, and the caller hears no more of it before the answer', async () => {
      const call = await calls.start();
      const { story, spokeUntil, finalAt } = await speakOverTheStory(call, 'wait please stop there');
      expect(story.interrupted).toBe(true);
      // The VAD's end of speech comes ~250 ms after the speech; the timeout 1 s later resumed the story before its final.
      expect(call.heardBetween(spokeUntil + 100, finalAt)).toBe(false);
    });

    it('for a backchannel, the story plays on soon after the transcript says so, to its end', async () => {
      const call = await calls.start();
      const { story, spokeUntil, finalAt } = await speakOverTheStory(call, 'uh huh');
      expect(story.interrupted).toBe(false);
      expect(call.heardBetween(spokeUntil + 100, finalAt)).toBe(false);
      const resumedAfterMs = call.heardNextAfter(finalAt)! - finalAt;
      console.log(JSON.stringify({ resumedAfterFinalMs: resumedAfterMs }));
      // Resumed once the transcript settled it (250 ms), not at the 4 s limit of the wait.
      expect(resumedAfterMs).toBeLessThan(1000);
    });
  });
});
