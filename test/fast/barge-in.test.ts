import { describe, expect, it } from 'vitest';
import { normalizeWords } from '../../agent/session/words.js';
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
    const answer = await waitFor(() => calls.providers.log.list('llm').find((r) => r.outcome === 'completed' && lastUserText(r.input) === 'wait please stop there'), {
      timeoutMs: 10_000,
      what: 'the LLM to answer the barge-in',
    });
    const said = (answer.input as { role: string; content: string }[]).filter((m) => m.role === 'assistant').map((m) => normalizeWords(m.content).join(' '));
    expect(said).toContain(normalizeWords(story.text).join(' '));
  });
});
