import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrowserCaller } from '../../harness/browser/browser-caller.js';
import { encodeWav } from '../../harness/speech/audio.js';
import type { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { primedRecognizer } from '../../harness/speech/recognizer-primer.js';
import { AGENT_VOICE } from '../../harness/speech/voices.js';
import { wordOverlap } from '../../harness/speech/words.js';
import { Placement } from '../../placement/index.js';
import { DEFAULT_AGENT_DEADLINE_MS, PAGE_DIR } from '../../web/server/config.js';
import { startWebFront, type WebFront } from '../../web/server/web-front.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';
import { freePort } from '../support/free-port.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

const LOG_DIR = '.run/test-logs/browser';
const GREETING_WAIT_MS = 9000;
const QUESTION = 'What is the weather like today?';

/**
 * The web page (web/client, served by web/server) in real Chromium, against the real stack: a
 * person clicks, talks through a fake microphone fed from a WAV file, and hears the agent in the page.
 */
describe('the web page in Chromium', () => {
  let bed: CallTestBed;
  let front: WebFront;
  let placement: Placement;
  let ears: PocketsphinxRecognizer;
  let caller: BrowserCaller | undefined;

  beforeAll(async () => {
    await mkdir(LOG_DIR, { recursive: true });
    bed = await startCallTestBed({ name: 'browser', httpPort: 18193 });
    placement = Placement.single(bed.stack.livekit, bed.worker.agentName, { agentDeadlineMs: DEFAULT_AGENT_DEADLINE_MS });
    front = await startWebFront({ host: '127.0.0.1', port: 0, placement, pageDir: PAGE_DIR });
    ears = await primedRecognizer(AGENT_VOICE);
  }, 120_000);
  afterEach(async () => {
    await caller?.close();
    caller = undefined;
  });
  afterAll(async () => {
    await ears?.close();
    await front?.close();
    await placement?.close();
    await bed?.stop();
  });

  /** A WAV for the fake microphone: each piece of speech after the silence before it. */
  async function microphoneWav(name: string, pieces: { silenceMs: number; text?: string }[]): Promise<string> {
    const rate = 16_000;
    const parts: Int16Array[] = [];
    for (const { silenceMs, text } of pieces) {
      parts.push(new Int16Array(Math.round((silenceMs * rate) / 1000)));
      if (text) parts.push((await bed.voice.synthesize(text)).pcm);
    }
    const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      pcm.set(p, offset);
      offset += p.length;
    }
    const path = `${LOG_DIR}/${name}.wav`;
    await writeFile(path, encodeWav(pcm, rate));
    return path;
  }

  it('joins with one click: the agent greets, answers the question spoken into the microphone, and the page shows both turns', async () => {
    const wavPath = await microphoneWav('question', [{ silenceMs: GREETING_WAIT_MS, text: QUESTION }, { silenceMs: 30_000 }]);
    caller = await BrowserCaller.open({ pageUrl: front.url, microphone: { wavPath }, transcriber: ears });
    await caller.join();
    const greeting = await caller.hearNextSpeech(0);
    expect(greeting.text.length).toBeGreaterThan(0);
    const question = await caller.spoken(0);
    expect(greeting.endedAt).toBeLessThan(question.start);
    const reply = await caller.hearNextSpeech(question.end);
    const latencyMs = Math.round(reply.startedAt - question.end);
    console.log(JSON.stringify({ greeting: greeting.text, reply: reply.text, browserHeardAfterMs: latencyMs }));
    expect(wordOverlap(scriptedAnswer(QUESTION), reply.text)).toBeGreaterThanOrEqual(0.5);
    expect(await caller.page.textContent('#agent-state')).toMatch(/^(listening|thinking|speaking)$/);

    // The page's transcript: the caller's question (as the STT heard it) and the agent's answer.
    await caller.page.waitForFunction(() => document.querySelectorAll('#transcript li[data-speaker="agent"]').length >= 2, undefined, {
      timeout: 15_000,
    });
    const userLines = await caller.texts('#transcript li[data-speaker="user"]');
    const agentLines = await caller.texts('#transcript li[data-speaker="agent"]');
    expect(Math.max(...userLines.map((t) => wordOverlap(QUESTION, t)))).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...agentLines.map((t) => wordOverlap(scriptedAnswer(QUESTION), t)))).toBeGreaterThanOrEqual(0.8);
    // The turn's latency, as the agent measured it, drawn in the page.
    await caller.page.waitForSelector('#latency li.latency-turn', { timeout: 15_000 });
    await caller.screenshot(`${LOG_DIR}/conversation.png`);

    await caller.page.click('#hangup');
    await caller.page.waitForFunction(() => document.querySelector('#agent-state')?.textContent === 'idle', undefined, { timeout: 10_000 });
    expect(await caller.page.isEnabled('#join')).toBe(true);
  }, 180_000);

  it('barge-in: a question spoken over the story stops it, and the page shows the reply to the interruption', async () => {
    const story = 'Tell me a story.';
    const interruption = 'What time is it?';
    const wavPath = await microphoneWav('barge-in', [
      { silenceMs: GREETING_WAIT_MS, text: story },
      { silenceMs: 5000, text: interruption },
      { silenceMs: 30_000 },
    ]);
    caller = await BrowserCaller.open({ pageUrl: front.url, microphone: { wavPath }, transcriber: ears });
    await caller.join();
    const asked = await caller.spoken(0);
    await caller.agent.waitUntil(() => (caller!.agent.openSince ?? 0) > asked.end, 60_000, 'the story to start');
    const over = await caller.spoken(1);
    // The story stops soon after the caller speaks up, long before its ~25 s end.
    await caller.agent.waitUntil(() => caller!.agent.stoppedAfter(over.start, 500) !== undefined, 30_000, 'the story to stop');
    const stop = caller.agent.stoppedAfter(over.start, 500)!;
    const stoppedAfterMs = Math.round(stop.at - over.start);
    expect(stoppedAfterMs).toBeLessThan(3000);
    // What the page heard next; the reply can follow the stop closely enough to share the story's segment.
    const reply = await caller.hearSpeechAfter(stop.at);
    console.log(
      JSON.stringify({
        storyStoppedAfterCallerSpokeMs: stoppedAfterMs,
        replyAfterQuestionMs: Math.round(reply.startedAt - over.end),
        reply: reply.text,
      }),
    );
    expect(wordOverlap(scriptedAnswer(interruption), reply.text)).toBeGreaterThanOrEqual(0.5);
    await caller.page.waitForFunction(
      (answer) => [...document.querySelectorAll('#transcript li[data-speaker="agent"]')].some((li) => li.textContent?.includes(answer)),
      scriptedAnswer(interruption).split(/[.!?]/)[0]!.trim(),
      { timeout: 15_000 },
    );
  }, 180_000);

  it('says so when the microphone is refused, and can be tried again', async () => {
    caller = await BrowserCaller.open({ pageUrl: front.url, microphone: 'refused' });
    await caller.page.click('#join');
    await caller.page.waitForFunction(() => /microphone/i.test(document.querySelector('#message')?.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    await caller.page.waitForFunction(() => !(document.querySelector('#join') as HTMLButtonElement | null)?.disabled, undefined, {
      timeout: 10_000,
    });
  }, 60_000);

  it('says so when the LiveKit server cannot be reached', async () => {
    const nobody = await freePort();
    const nowhere = Placement.single({ ...bed.stack.livekit, url: `ws://127.0.0.1:${nobody}` }, bed.worker.agentName, {
      agentDeadlineMs: DEFAULT_AGENT_DEADLINE_MS,
    });
    const unreachable = await startWebFront({ host: '127.0.0.1', port: 0, placement: nowhere, pageDir: PAGE_DIR });
    try {
      const wavPath = await microphoneWav('silence', [{ silenceMs: 1000 }]);
      caller = await BrowserCaller.open({ pageUrl: unreachable.url, microphone: { wavPath } });
      await caller.page.click('#join');
      await caller.page.waitForFunction(() => /server/i.test(document.querySelector('#message')?.textContent ?? ''), undefined, {
        timeout: 30_000,
      });
      expect(await caller.page.isEnabled('#join')).toBe(true);
    } finally {
      await unreachable.close();
      await nowhere.close();
    }
  }, 60_000);
});
