import { readFileSync } from 'node:fs';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livekitApiUrl } from '../../contracts/livekit-endpoint.js';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import { wordOverlap } from '../../harness/speech/words.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

/**
 * Word overlap (fraction of the expected words that pocketsphinx recognizes in what the caller
 * received) required of every reply. Round trips through WebRTC measured 0.9-1.0 for these answers;
 * a wrong or missing answer scores below 0.3.
 */
const MIN_OVERLAP = 0.6;
const GREETING = 'Hello! How can I help you today?';
// Each question carries two words of its rule in responses.yaml, so one misrecognized word (the
// caller's audio goes through Opus and the agent's pocketsphinx) still reaches the right answer.
const QUESTIONS = ['What is the weather like today?', 'Tell me a funny joke.'];

describe('a spoken conversation through a real livekit-server', () => {
  let bed: CallTestBed;

  beforeAll(async () => {
    bed = await startCallTestBed({ name: 'cartesia', httpPort: 18181, env: { AGENT_GREETING: GREETING } });
    // A second worker on the same stack, registered under its own agent name, speaking through
    // the OpenAI TTS plugin (HTTP /v1/audio/speech) instead of Cartesia's WebSocket.
    await bed.startWorker('agent-openai-tts', 18182, {
      AGENT_GREETING: GREETING,
      TTS_PROVIDER: 'openai',
      TTS_BASE_URL: `${bed.stack.providers.url}/v1`,
    });
  });
  afterAll(async () => {
    await bed?.stop();
  });

  it('dispatches the agent into a room within a few seconds', async () => {
    const { livekit } = bed.stack;
    const { caller, room } = await bed.call();
    const joinedAt = performance.now();
    try {
      await caller.waitForAgent(); // the agent joined and published its audio track
      const waitedMs = performance.now() - joinedAt;
      console.log(`agent audio track subscribed ${waitedMs.toFixed(0)} ms after the caller joined`);
      expect(waitedMs).toBeLessThan(5000);
      const rooms = new RoomServiceClient(livekitApiUrl(livekit.url), livekit.apiKey, livekit.apiSecret);
      const identities = (await rooms.listParticipants(room)).map((p) => p.identity);
      expect(identities).toContain(caller.agentIdentity);
      expect(identities).toHaveLength(2);
    } finally {
      await caller.hangUp();
    }
  });

  async function converse(agentName: string) {
    const { caller } = await bed.call(agentName);
    try {
      return await caller.converse(QUESTIONS);
    } finally {
      await caller.hangUp();
    }
  }

  function expectScriptedConversation(result: Awaited<ReturnType<typeof converse>>) {
    console.log(JSON.stringify(result, null, 2));
    expect(wordOverlap(GREETING, result.greeting.text)).toBeGreaterThanOrEqual(MIN_OVERLAP);
    expect(result.turns).toHaveLength(QUESTIONS.length);
    for (const turn of result.turns) {
      expect(wordOverlap(scriptedAnswer(turn.question), turn.reply)).toBeGreaterThanOrEqual(MIN_OVERLAP);
      expect(turn.latencyMs).toBeGreaterThan(0);
    }
  }

  it('holds a conversation with the Cartesia TTS plugin (the local default)', async () => {
    const logFrom = readFileSync(bed.worker.log.path, 'utf8').length;
    expectScriptedConversation(await converse(bed.worker.agentName));
    // Every job printed this at its first preemptive generation (agent/session/room-requests.ts).
    expect(readFileSync(bed.worker.log.path, 'utf8').slice(logFrom)).not.toContain('MaxListenersExceededWarning');
  });

  /** Turns counted by the worker's Prometheus histogram and counter so far. */
  async function turnsOnMetrics() {
    const metrics = await (await fetch('http://127.0.0.1:18181/metrics')).text();
    const value = (series: string) =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.split(' ')[1] ?? 0,
      );
    const labels = 'stt="local",llm="local",tts="local"';
    return {
      endToEnd: value(`voice_agent_turn_latency_seconds_count{stage="end_to_end",${labels}}`),
      answered: value(`voice_agent_turns_total{interrupted="false",${labels}}`),
    };
  }

  it('logs one latency record per turn, a summary when the call ends, and exposes them on /metrics', async () => {
    const { log } = bed.worker;
    const mark = log.mark();
    const turnsBefore = await turnsOnMetrics();
    await converse(bed.worker.agentName);
    // The summary is written when the session closes after the hang-up.
    const [summary] = await log.waitFor((l) => {
      const lines = l.messages(WORKER_LOG.turnLatencySummary, mark);
      return lines.length > 0 && lines;
    }, 'the session turn latency summary');
    const turns = log.turns(mark);
    expect(turns.map((t) => t.userText)).toEqual(['what is the weather like today', 'tell me a funny joke']);
    for (const turn of turns) {
      for (const stage of ['endOfTurnMs', 'transcriptMs', 'llmTtftMs', 'ttsTtfbMs', 'firstAudioMs'] as const) {
        expect(turn[stage], stage).toBeGreaterThanOrEqual(0);
      }
      // the reply can only start after the turn was decided and the transcript was known
      expect(turn.firstAudioMs!).toBeGreaterThan(Math.max(turn.endOfTurnMs!, turn.transcriptMs!));
    }
    const { turns: summarized, firstAudioMs } = summary!.summary as { turns: number; firstAudioMs: { p50: number } };
    expect(summarized).toBe(2);
    expect(firstAudioMs.p50).toBeGreaterThan(0);

    // Job processes send their records to the worker, which serves them beside its health check.
    expect(await turnsOnMetrics()).toEqual({ endToEnd: turnsBefore.endToEnd + 2, answered: turnsBefore.answered + 2 });
    expect((await fetch('http://127.0.0.1:18181/')).status).toBe(200); // the framework's health check, passed through
    expect(await (await fetch('http://127.0.0.1:18181/worker')).json()).toMatchObject({ agent_name: bed.worker.agentName });
  });

  it('holds the same conversation with the OpenAI TTS plugin', async () => {
    expectScriptedConversation(await converse('agent-openai-tts'));
    const speech = bed.stack.providers.log.list('tts').filter((r) => typeof r.input === 'string');
    expect(speech.length).toBeGreaterThan(0); // it went through /v1/audio/speech, not the Cartesia socket
  });
});
