import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWorker, startWorkerProcess } from '../../infra/stack/worker-process.js';
import { FliteSynthesizer } from '../../plugins/local-providers/engines/flite.js';
import { normalizeWords, wordOverlap } from '../../plugins/local-providers/engines/words.js';
import type { RequestRecord } from '../../plugins/local-providers/server/request-log.js';
import type { SimulatedCaller } from '../caller/simulated-caller.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';

const STORY_QUESTION = 'Please tell me a story.';
const STORY =
  'Once upon a time there was a little house by the river. A small family lived in the house with a dog and a cat. Every morning the dog walked down to the river and looked at the water. One day the dog found a big red ball in the water. The dog took the ball home and played with the cat all day long. In the evening the family sat by the fire and read a good book together.';

interface TurnLine {
  msg: string;
  userText: string;
  agentText: string;
  interrupted: boolean;
}

const ECHO_AGENT = 'agent-interruptions-echo';
const ECHO_LOG = `.run/test-logs/interruptions/worker-${ECHO_AGENT}.log`;

/** Talking over the agent, measured from the caller's side and checked against the agent's history. */
describe('interruptions', () => {
  let bed: CallTestBed;
  /** The same stack's agent with the echo canceller on for every caller (`auto` keeps it to SIP ones). */
  let echoWorker: RunningWorker;
  const voice = new FliteSynthesizer({ voice: 'slt' });

  beforeAll(async () => {
    // Canceller off (the default for non-SIP callers) on the main worker: these callers bring no echo.
    bed = await startCallTestBed({ name: 'interruptions', httpPort: 18186 });
    echoWorker = await startWorkerProcess({
      env: bed.stack.workerEnv({ AGENT_NAME: ECHO_AGENT, AGENT_NUM_IDLE_PROCESSES: '1', AUDIO_ECHO_CANCELLATION: 'on' }),
      httpPort: 18187,
      logFile: ECHO_LOG,
    });
  });
  afterAll(async () => {
    await echoWorker?.stop();
    await bed?.stop();
  });

  const turnLines = (log = bed.workerLog): TurnLine[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"turn latency"'))
      .map((l) => JSON.parse(l) as TurnLine);

  /** After the greeting the caller asks for the story; `body` gets the caller and the turns the worker logged since. */
  async function storyCall(body: (caller: SimulatedCaller, askedAt: number, turnsSince: () => TurnLine[]) => Promise<void>) {
    // A pause of the agent (a false interruption resumes after ~1 s) must not end its reply for the caller.
    const { caller } = await bed.call(undefined, { agentDoneSilenceMs: 3000 });
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      const before = turnLines().length;
      const askedAt = await caller.speak(await voice.synthesize(STORY_QUESTION));
      await body(caller, askedAt, () => turnLines().slice(before));
    } finally {
      await caller.hangUp();
    }
  }

  it('a barge-in stops the reply; the history keeps what the caller heard, marked interrupted, and the LLM sees it', async () => {
    await storyCall(async (caller, _askedAt, turnsSince) => {
      const over = await caller.talkOver(await voice.synthesize('Wait, please stop there.'), 4000);
      const stop = await caller.agentStopped(over);
      console.log(JSON.stringify(stop));
      // The agent stopped well before the end of its ~25 s story, soon after the caller spoke up.
      expect(stop.heardMs).toBeLessThan(12_000);
      expect(stop.stopMs).toBeLessThan(2000);

      // Its history holds the interrupted reply: a prefix of the story, the words the caller heard.
      const deadline = Date.now() + 15_000;
      while (!turnsSince().some((t) => t.interrupted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const interrupted = turnsSince().find((t) => t.interrupted);
      expect(interrupted, 'an interrupted turn in the worker log').toBeDefined();
      const kept = normalizeWords(interrupted!.agentText);
      const story = normalizeWords(STORY);
      expect(kept.length).toBeGreaterThan(3);
      expect(kept.length).toBeLessThan(story.length);
      expect(kept).toEqual(story.slice(0, kept.length));
      expect(wordOverlap(interrupted!.agentText, stop.heardText)).toBeGreaterThanOrEqual(0.6);
      // ... within a few words of what reached the caller (the recording holds the cut word too).
      expect(Math.abs(normalizeWords(stop.heardText).length - kept.length)).toBeLessThanOrEqual(3);

      // The interruption is answered, and that LLM request carries the cut reply, not the whole story.
      const onset = performance.timeOrigin + over.speechStartAt; // the providers' log runs on Date.now()
      const answered = () => bed.stack.providers.log.list('llm').filter((r) => r.startedAt > onset && r.outcome === 'completed');
      while (answered().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const lastRequest = answered().at(-1)!;
      const assistant = (lastRequest.input as { role: string; content: unknown }[]).filter((m) => m.role === 'assistant').map((m) => String(m.content));
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
        const over = await caller.talkOver(await voice.synthesize('Wait, please stop there.'), 3000);
        const stop = await caller.agentStopped(over);
        expect(stop.heardMs).toBeLessThan(8000);
        const story = (r: RequestRecord) => r.startedAt > performance.timeOrigin + askedAt && r.startedAt < performance.timeOrigin + over.speechStartAt;
        const deadline = Date.now() + 10_000;
        const ended = () => bed.stack.providers.log.list().filter((r) => r.stage !== 'stt' && story(r) && r.outcome !== undefined);
        while (ended().filter((r) => r.stage === 'llm').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const outcomes = (stage: 'llm' | 'tts') => ended().filter((r) => r.stage === stage).map((r) => r.outcome);
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
      const over = await caller.talkOver(await voice.synthesize('Uh huh.'), 4000);
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
    const summariesBefore = readFileSync(ECHO_LOG, 'utf8').split('\n').filter((l) => l.includes('"msg":"echo cancellation summary"')).length;
    const { caller } = await bed.call(ECHO_AGENT, { echo: { gainDb: -10, delayMs: 100 }, agentDoneSilenceMs: 3000 });
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      const before = turnLines(ECHO_LOG).length;
      const askedAt = await caller.speak(await voice.synthesize(STORY_QUESTION));
      const reply = await caller.hearNextSpeech(askedAt);
      console.log(JSON.stringify({ heardMs: reply.audioMs, pausesMs: reply.pausesMs, heard: reply.text }));
      // The whole story reached the caller. What the canceller leaves of the echo now and then can
      // still pause the agent for a moment (a false interruption, resumed): it must never cut it off.
      expect(wordOverlap(STORY, reply.text)).toBeGreaterThanOrEqual(0.6);
      const turns = turnLines(ECHO_LOG).slice(before);
      expect(turns.some((t) => t.interrupted)).toBe(false);
    } finally {
      await caller.hangUp();
    }
    // The echo was there (the canceller measured its delay) and was removed: this call's summary, logged as it closes.
    const summaryLines = () => readFileSync(ECHO_LOG, 'utf8').split('\n').filter((l) => l.includes('"msg":"echo cancellation summary"'));
    const deadline = Date.now() + 10_000;
    while (summaryLines().length <= summariesBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const summary = JSON.parse(summaryLines().slice(summariesBefore).at(-1) ?? '{}') as { echoDelayMs?: number; echoRemovedDb?: number };
    console.log(JSON.stringify(summary));
    expect(summary.echoDelayMs).toBeGreaterThan(100);
    expect(summary.echoRemovedDb).toBeGreaterThanOrEqual(10);
  });
});
