import { describe, expect, it } from 'vitest';
import { useInProcessCalls } from '../support/in-process-call.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

/**
 * A turn lost to a provider, in process (test/support/in-process-call.ts): the caller hears one
 * apology, which stays out of the history, and the call goes on. Played out in real time: the
 * apology must outlast the framework's endpointing, as it does on a call.
 */
const WEATHER = 'what is the weather like today';
const JOKE = 'tell me a funny joke';
const REAL_TIME = 1;
/** A short greeting: it plays in real time here. */
const QUICK = { AGENT_GREETING: 'Hi.' };

describe('a turn lost to a provider, in process', () => {
  const calls = useInProcessCalls();

  it('apologises when the LLM fails for good, keeps the apology out of the history, and answers the next question', async () => {
    const apology = 'Sorry, something broke.';
    const call = await calls.start({ ...QUICK, PROVIDER_MAX_RETRY: '0', AGENT_APOLOGY: apology }, REAL_TIME);
    await call.reply(0);
    // Every request of the turn fails: with preemptive generation one turn can make several.
    calls.providers.behaviour.injectFault('llm', 'http500', 20);
    await call.stt.utter(WEATHER);
    await calls.waitUntilSpoken(apology);
    calls.providers.behaviour.clearFaults('llm');
    // The apology cannot be interrupted: the caller speaks again once it is over.
    await call.quiet();
    await call.stt.utter(JOKE);
    await calls.waitUntilSpoken(scriptedAnswer(JOKE));
    expect(calls.spoken().filter((t) => t === apology)).toHaveLength(1);
    await call.quiet();
    expect(call.history.map((m) => m.text)).not.toContain(apology);
  });

  it('apologises for an utterance lost with the STT stream, and hears the next one on a new stream', async () => {
    const apology = 'Sorry, I missed that.';
    const call = await calls.start({ ...QUICK, PROVIDER_RETRY_INTERVAL_MS: '10', AGENT_APOLOGY: apology }, REAL_TIME);
    await call.reply(0);
    call.stt.loseUtterance();
    await calls.waitUntilSpoken(apology);
    expect(call.stt.streamsOpened).toBe(2);
    await call.quiet();
    await call.stt.utter(JOKE);
    await calls.waitUntilSpoken(scriptedAnswer(JOKE));
  });
});
