import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordOverlap } from '../../plugins/local-providers/engines/words.js';
import type { FaultKind, Stage } from '../../plugins/local-providers/server/stage-behaviour.js';
import { type RunningWorker, startWorkerProcess } from '../../infra/stack/worker-process.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';

const MIN_OVERLAP = 0.6;
const APOLOGY = 'Sorry, I had a problem just now. Could you say that again?';
const WEATHER = { question: 'What is the weather like today?', answer: 'It is sunny and warm today. It is a good day for a long walk in the park.' };
const JOKE = { question: 'Tell me a funny joke.', answer: 'Why did the chicken cross the road? To get to the other side.' };
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
const HTTP_STT_AGENT = 'agent-faults-http-stt';
const HTTP_STT_LOG = `.run/test-logs/faults/worker-${HTTP_STT_AGENT}.log`;

describe('a provider that fails mid-call leaves the session alive', () => {
  let bed: CallTestBed;
  let httpSttWorker: RunningWorker;

  beforeAll(async () => {
    bed = await startCallTestBed({
      name: 'faults',
      httpPort: 18183,
      env: FAULT_ENV,
    });
    // The same stack with the HTTP transcription path, whose retries are ours (RetryingSTT).
    httpSttWorker = await startWorkerProcess({
      env: bed.stack.workerEnv({ ...FAULT_ENV, AGENT_NAME: HTTP_STT_AGENT, AGENT_NUM_IDLE_PROCESSES: '1', STT_STREAMING: 'false' }),
      httpPort: 18185,
      logFile: HTTP_STT_LOG,
    });
  });
  afterAll(async () => {
    await httpSttWorker?.stop();
    await bed?.stop();
  });

  /**
   * Greeting, then the first question with `fault` armed for the stage's next `count` requests,
   * then a second question that must be answered normally. `count: 'whole turn'` fails every
   * request of the stage until the first question's reply is heard: with preemptive generation a
   * turn can make several LLM requests (one per guess at the transcript), so a fixed count could be
   * spent on a guess that is then discarded.
   */
  async function callWithFault(stage: Stage, kind: FaultKind, count: number | 'whole turn', agentName = bed.agentName) {
    const { caller } = await bed.call(agentName);
    const behaviour = bed.stack.providers.behaviour;
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      behaviour.injectFault(stage, kind, count === 'whole turn' ? WHOLE_TURN_FAULTS : count);
      const failed = await caller.ask(WEATHER.question);
      if (count === 'whole turn') behaviour.clearFaults(stage);
      else expect(behaviour.pendingFaults()[stage]).toEqual([]); // every armed fault was hit
      const next = await caller.ask(JOKE.question);
      console.log(JSON.stringify({ stage, kind, failed, next }, null, 2));
      return { failed, next };
    } finally {
      await caller.hangUp();
    }
  }

  it('apologises when the LLM answers 500 on every attempt, then answers the next question', async () => {
    const { failed, next } = await callWithFault('llm', 'http500', 'whole turn');
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    const failedRequests = bed.stack.providers.log.list('llm').filter((r) => r.outcome === 'fault:http500');
    expect(failedRequests.length).toBeGreaterThanOrEqual(MAX_RETRY + 1);
    const log = readFileSync(bed.workerLog, 'utf8');
    expect(log).toMatch(/"kind":"llm_error".*"recoverable":false.*"cause":"[^"]*500[^"]*".*provider request failed/);
  });

  it('recovers when the LLM drops the connection mid-reply', async () => {
    const { failed, next } = await callWithFault('llm', 'drop', 1);
    // The caller hears either the retried answer or the apology: never silence.
    const heard = Math.max(wordOverlap(WEATHER.answer, failed.reply), wordOverlap(APOLOGY, failed.reply));
    expect(heard).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(bed.stack.providers.log.list('llm').some((r) => r.outcome === 'fault:drop')).toBe(true);
  });

  it('recovers when the TTS socket drops mid-audio', async () => {
    const { next } = await callWithFault('tts', 'drop', 1);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(bed.stack.providers.log.list('tts').some((r) => r.outcome === 'fault:drop')).toBe(true);
  });

  it('apologises for a question lost with a dropped streaming transcription socket, then answers the next one', async () => {
    const { failed, next } = await callWithFault('stt', 'drop', 1);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(readFileSync(bed.workerLog, 'utf8')).toMatch(/"utteranceLost":true,[^}]*"msg":"provider stream ended mid-call, reconnecting"/);
  });

  it('reconnects after the streaming transcription reported an error, then answers', async () => {
    const { failed, next } = await callWithFault('stt', 'http500', 1);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
  });

  it('retries an HTTP transcription that failed with 500 and answers the question', async () => {
    const { failed, next } = await callWithFault('stt', 'http500', 1, HTTP_STT_AGENT);
    expect(wordOverlap(WEATHER.answer, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
  });

  it('apologises when the question cannot be transcribed over HTTP at all, then answers the next one', async () => {
    const { failed, next } = await callWithFault('stt', 'http500', MAX_RETRY + 1, HTTP_STT_AGENT);
    expect(wordOverlap(APOLOGY, failed.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(wordOverlap(JOKE.answer, next.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(readFileSync(HTTP_STT_LOG, 'utf8')).toMatch(/"attempts":2,"cause":"500 injected fault[^"]*","msg":"transcription failed, utterance lost"/);
  });
});
