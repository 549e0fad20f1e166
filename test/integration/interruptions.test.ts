import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnLatencyRecord } from '../../contracts/turn-record.js';
import { normalizeWords } from '../../contracts/words.js';
import type { SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import type { RequestRecord } from '../../harness/local-providers/index.js';
import { wordOverlap } from '../../harness/speech/words.js';
import type { StackWorker } from '../../harness/stack/local-stack.js';
import { waitFor } from '../../harness/stack/wait.js';
import { ECHO_CANCELLATION_SUMMARY_LOG, type EchoCancellationSummary } from '../../plugins/echo-cancellation/index.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

const STORY_QUESTION = 'Please tell me a story.';
const STORY = scriptedAnswer(STORY_QUESTION);

/** Talking over the agent, measured from the caller's side and checked against the agent's history. */
describe('interruptions', () => {
  let bed: CallTestBed;
  /** The same stack's agent with the echo canceller on for every caller (`auto` keeps it to SIP ones). */
  let echoWorker: StackWorker;

  beforeAll(async () => {
    // Canceller off (the default for non-SIP callers) on the main worker: these callers bring no echo.
    bed = await startCallTestBed({ name: 'interruptions', httpPort: 18186 });
    echoWorker = await bed.startWorker('agent-interruptions-echo', 18187, { AUDIO_ECHO_CANCELLATION: 'on' });
  });
  afterAll(async () => {
    await bed?.stop();
  });

  /** After the greeting the caller asks for the story; `body` gets the caller and the turns the worker logged since. */
  async function storyCall(body: (caller: SimulatedCaller, askedAt: number, turnsSince: () => TurnLatencyRecord[]) => Promise<void>) {
    // A pause of the agent (a false interruption resumes after ~1 s) must not end its reply for the caller.
    const { caller } = await bed.call(undefined, { agentDoneSilenceMs: 3000 });
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      const mark = bed.worker.log.mark();
      const askedAt = await caller.speak(await bed.voice.synthesize(STORY_QUESTION));
      await body(caller, askedAt, () => bed.worker.log.turns(mark));
    } finally {
      await caller.hangUp();
    }
  }

  it('a barge-in stops the reply; the history keeps what the caller heard, marked interrupted, and the LLM sees it', async () => {
    await storyCall(async (caller, _askedAt, turnsSince) => {
      const over = await caller.talkOver(await bed.voice.synthesize('Wait, please stop there.'), 4000);
      const stop = await caller.agentStopped(over);
      console.log(JSON.stringify(stop));
      // The agent stopped well before the end of its ~25 s story, soon after the caller spoke up.
      expect(stop.heardMs).toBeLessThan(12_000);
      expect(stop.stopMs).toBeLessThan(2000);

      // Its history holds the interrupted reply: a prefix of the story, the words the caller heard.
      const interrupted = await waitFor(() => turnsSince().find((t) => t.interrupted), {
        timeoutMs: 15_000,
        what: 'an interrupted turn in the worker log',
      });
      const kept = normalizeWords(interrupted.agentText);
      const story = normalizeWords(STORY);
      expect(kept.length).toBeGreaterThan(3);
      expect(kept.length).toBeLessThan(story.length);
      expect(kept).toEqual(story.slice(0, kept.length));
      expect(wordOverlap(interrupted.agentText, stop.heardText)).toBeGreaterThanOrEqual(0.6);
      // ... within a few words of what reached the caller (the recording holds the cut word too).
      expect(Math.abs(normalizeWords(stop.heardText).length - kept.length)).toBeLessThanOrEqual(3);

      // The interruption is answered, and that LLM request carries the cut reply, not the whole story.
      const onset = performance.timeOrigin + over.speechStartAt; // the providers' log runs on Date.now()
      const answered = () => bed.stack.providers.log.list('llm').filter((r) => r.startedAt > onset && r.outcome === 'completed');
      const lastRequest = await waitFor(() => answered().at(-1), { timeoutMs: 15_000, what: 'the LLM to answer the interruption' });
      const assistant = (lastRequest.input as { role: string; content: unknown }[])
        .filter((m) => m.role === 'assistant')
        .map((m) => String(m.content));
      expect(assistant.some((c) => normalizeWords(c).join(' ') === kept.join(' '))).toBe(true);
      expect(assistant.some((c) => normalizeWords(c).length >= story.length)).toBe(false);
    });
  });

  it('a barge-in cancels the LLM and TTS requests still in flight: the providers see them cancelled', async () => {
    // A slow LLM (6 tokens/s) is still streaming the story, and the TTS still speaking it, when the caller speaks up.
    const behaviour = bed.stack.providers.behaviour;
    behaviour.latency = { ...behaviour.latency, llmTokensPerSecond: 6 };
    try {
      await storyCall(async (caller, askedAt) => {
        const over = await caller.talkOver(await bed.voice.synthesize('Wait, please stop there.'), 3000);
        const stop = await caller.agentStopped(over);
        expect(stop.heardMs).toBeLessThan(8000);
        const story = (r: RequestRecord) =>
          r.startedAt > performance.timeOrigin + askedAt && r.startedAt < performance.timeOrigin + over.speechStartAt;
        const ended = () => bed.stack.providers.log.list().filter((r) => r.stage !== 'stt' && story(r) && r.outcome !== undefined);
        await waitFor(() => ended().some((r) => r.stage === 'llm'), { timeoutMs: 10_000, what: "the story's LLM request to end" });
        const outcomes = (stage: 'llm' | 'tts') =>
          ended()
            .filter((r) => r.stage === stage)
            .map((r) => r.outcome);
        console.log(JSON.stringify({ stopMs: stop.stopMs, llm: outcomes('llm'), tts: outcomes('tts') }));
        // The story's LLM stream (~15 s at this pace) was cut, and so was its speech.
        expect(outcomes('llm').at(-1)).toBe('cancelled');
        expect(outcomes('tts').at(-1)).toBe('cancelled');
      });
    } finally {
      behaviour.latency = { ...behaviour.latency, llmTokensPerSecond: 0 };
    }
  });

  it('a short backchannel over the agent does not cut its reply off', async () => {
    await storyCall(async (caller, _askedAt, turnsSince) => {
      const over = await caller.talkOver(await bed.voice.synthesize('Uh huh.'), 4000);
      const heard = await caller.hearReply(over);
      console.log(JSON.stringify({ heardMs: heard.audioMs, pausesMs: heard.pausesMs, heard: heard.text }));
      // The whole story reached the caller, possibly after a short pause.
      expect(wordOverlap(STORY, heard.text)).toBeGreaterThanOrEqual(0.6);
      expect(turnsSince().some((t) => t.interrupted)).toBe(false);
    });
  });

  it('with its own voice coming back at -10 dB and the canceller on, the agent finishes its reply uninterrupted', async () => {
    // A speakerphone without echo cancellation: without the canceller the agent cuts itself off
    // within seconds (the benchmark counts 16-19 self-interruptions in 32 s).
    const { log } = echoWorker;
    const mark = log.mark();
    const { caller } = await bed.call(echoWorker.agentName, { echo: { gainDb: -10, delayMs: 100 }, agentDoneSilenceMs: 3000 });
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      const askedAt = await caller.speak(await bed.voice.synthesize(STORY_QUESTION));
      const reply = await caller.hearNextSpeech(askedAt);
      console.log(JSON.stringify({ heardMs: reply.audioMs, pausesMs: reply.pausesMs, heard: reply.text }));
      // The whole story reached the caller. What the canceller leaves of the echo now and then can
      // still pause the agent for a moment (a false interruption, resumed): it must never cut it off.
      expect(wordOverlap(STORY, reply.text)).toBeGreaterThanOrEqual(0.6);
      expect(log.turns(mark).some((t) => t.interrupted)).toBe(false);
    } finally {
      await caller.hangUp();
    }
    // The echo was there (the canceller measured its delay) and was removed: this call's summary, logged as it closes.
    const summary = (await log.waitFor(
      (l) => l.messages(ECHO_CANCELLATION_SUMMARY_LOG, mark).at(-1),
      'the echo cancellation summary',
      10_000,
    )) as Partial<EchoCancellationSummary>;
    console.log(JSON.stringify(summary));
    expect(summary.echoDelayMs).toBeGreaterThan(100);
    expect(summary.echoRemovedDb).toBeGreaterThanOrEqual(10);
  });
});
