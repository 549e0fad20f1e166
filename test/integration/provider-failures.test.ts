import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind, ProviderStage } from '../../harness/local-providers/index.js';
import { wordOverlap } from '../../harness/speech/words.js';
import type { StackWorker } from '../../harness/stack/local-stack.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

const MIN_OVERLAP = 0.6;
const APOLOGY = 'Sorry, I had a problem just now. Could you say that again?';
const WEATHER = 'What is the weather like today?';
const JOKE = 'Tell me a funny joke.';
/** One retry per request, quickly, so a fault that outlasts it reaches the session within a turn. */
const MAX_RETRY = 1;
/** More LLM requests than one turn makes: guesses, their retries, the final request and its retry. */
const WHOLE_TURN_FAULTS = 20;

const FAULT_ENV = {
  AGENT_APOLOGY: APOLOGY,
  PROVIDER_MAX_RETRY: String(MAX_RETRY),
  PROVIDER_RETRY_INTERVAL_MS: '100',
  PROVIDER_TIMEOUT_MS: '4000',
};

describe('a provider that fails mid-call leaves the session alive', () => {
  let bed: CallTestBed;
  /** The same stack with the HTTP transcription path, whose retries are ours (RetryingSTT). */
  let httpSttWorker: StackWorker;

  beforeAll(async () => {
    bed = await startCallTestBed({ name: 'faults', httpPort: 18183, env: FAULT_ENV });
    httpSttWorker = await bed.startWorker('agent-faults-http-stt', 18185, { ...FAULT_ENV, STT_STREAMING: 'false' });
  });
  afterAll(async () => {
    await bed?.stop();
  });

  /**
   * Greeting, then the first question with `fault` armed for the stage's next `count` requests,
   * then a second question that must be answered normally. `count: 'whole turn'` fails every
   * request of the stage until the first question's reply is heard: with preemptive generation a
   * turn can make several LLM requests (one per guess at the transcript), so a fixed count could be
   * spent on a guess that is then discarded.
   */
  async function callWithFault(stage: ProviderStage, kind: FaultKind, count: number | 'whole turn', worker = bed.worker) {
    const mark = worker.log.mark();
    const { caller } = await bed.call(worker.agentName);
    const behaviour = bed.stack.providers.behaviour;
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      behaviour.injectFault(stage, kind, count === 'whole turn' ? WHOLE_TURN_FAULTS : count);
      const failed = await caller.ask(WEATHER);
      if (count === 'whole turn') behaviour.clearFaults(stage);
      else expect(behaviour.pendingFaults()[stage]).toEqual([]); // every armed fault was hit
      const next = await caller.ask(JOKE);
      console.log(JSON.stringify({ stage, kind, failed, next }, null, 2));
      return { failed, next, logged: (msg: string) => worker.log.messages(msg, mark) };
    } finally {
      await caller.hangUp();
    }
  }

  it('apologises when the LLM answers 500 on every attempt, then answers the next question', async () => {
    const { failed, next, logged } = await callWithFault('llm', 'http500', 'whole turn');
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    const failedRequests = bed.stack.providers.log.list('llm').filter((r) => r.outcome === 'fault:http500');
    expect(failedRequests.length).toBeGreaterThanOrEqual(MAX_RETRY + 1);
    expect(logged('provider request failed')).toContainEqual(
      expect.objectContaining({ kind: 'llm_error', recoverable: false, cause: expect.stringContaining('500') }),
    );
  });

  it('recovers when the LLM drops the connection mid-reply', async () => {
    const { failed, next } = await callWithFault('llm', 'drop', 1);
    // The caller hears either the retried answer or the apology: never silence.
    const heard = Math.max(wordOverlap(scriptedAnswer(WEATHER), failed.reply), wordOverlap(APOLOGY, failed.reply));
    expect(heard).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(bed.stack.providers.log.list('llm').some((r) => r.outcome === 'fault:drop')).toBe(true);
  });

  it('recovers when the TTS socket drops mid-audio', async () => {
    const { next } = await callWithFault('tts', 'drop', 1);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(bed.stack.providers.log.list('tts').some((r) => r.outcome === 'fault:drop')).toBe(true);
  });

  it('apologises for a question lost with a dropped streaming transcription socket, then answers the next one', async () => {
    const { failed, next, logged } = await callWithFault('stt', 'drop', 1);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(logged('provider stream ended mid-call, reconnecting')).toContainEqual(expect.objectContaining({ utteranceLost: true }));
  });

  it('reconnects after the streaming transcription reported an error, then answers', async () => {
    const { failed, next } = await callWithFault('stt', 'http500', 1);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
  });

  it('retries an HTTP transcription that failed with 500 and answers the question', async () => {
    const { failed, next } = await callWithFault('stt', 'http500', 1, httpSttWorker);
    expect(wordOverlap(scriptedAnswer(WEATHER), failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
  });

  it('apologises when the question cannot be transcribed over HTTP at all, then answers the next one', async () => {
    const { failed, next, logged } = await callWithFault('stt', 'http500', MAX_RETRY + 1, httpSttWorker);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(scriptedAnswer(JOKE), next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(logged('transcription failed, utterance lost')).toContainEqual(
      expect.objectContaining({ attempts: MAX_RETRY + 1, cause: expect.stringMatching(/^500 injected fault/) }),
    );
  });
});
