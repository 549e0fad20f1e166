import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordOverlap } from '../../harness/speech/words.js';
import { waitFor } from '../../harness/stack/wait.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:1', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' };

/** Starts the worker as production does and returns how it ended. */
function startWorker(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LIVEKIT_|AGENT_|STT_|LLM_|TTS_|TURN_|PROVIDER_)/.test(k)),
  );
  return spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', 'start'], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('worker start-up with a bad configuration', () => {
  it('stops with one message naming a missing key', () => {
    const run = startWorker({ LIVEKIT_URL: 'ws://127.0.0.1:1', LIVEKIT_API_KEY: 'devkey' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('livekit.apiSecret: Required (not set; set LIVEKIT_API_SECRET)');
    expect(run.stdout).toBe(''); // it never started a worker
  });

  it('stops with one message naming an invalid value and where it came from', () => {
    const run = startWorker({ ...LIVEKIT, TTS_PROVIDER: 'elevenlabs' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/voice-agent: invalid configuration:\n {2}tts\.provider: .*received 'elevenlabs' \(env TTS_PROVIDER\)/);
  });

  it('stops when a cloud provider has no key', () => {
    const run = startWorker({ ...LIVEKIT, LLM_PROVIDER: 'openai', OPENAI_API_KEY: '' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("llm.apiKey: required when llm.provider is 'openai'");
  });
});

describe('SIGTERM drains the worker', () => {
  let bed: CallTestBed;

  beforeAll(async () => {
    bed = await startCallTestBed({ name: 'drain', httpPort: 18184 });
  });
  afterAll(async () => {
    await bed?.stop();
  });

  it('finishes the active call, takes no new one, then exits', async () => {
    const active = await bed.call();
    await active.caller.waitForAgent();
    await active.caller.hearNextSpeech(0);

    // SIGTERM lands while the agent is answering: the answer plays to its end, and later turns still work.
    const weather = 'What is the weather like today?';
    const answering = active.caller.ask(weather);
    await waitFor(() => bed.stack.providers.log.list('llm').length > 0, {
      timeoutMs: 30_000,
      what: 'the LLM request of the answer',
      intervalMs: 20,
    });
    bed.worker.process.kill('SIGTERM');
    const inFlight = await answering;
    expect(wordOverlap(scriptedAnswer(weather), inFlight.reply)).toBeGreaterThanOrEqual(0.6);
    const joke = 'Tell me a funny joke.';
    const next = await active.caller.ask(joke);
    expect(wordOverlap(scriptedAnswer(joke), next.reply)).toBeGreaterThanOrEqual(0.6);

    const late = await bed.call();
    await expect(late.caller.waitForAgentWithin(5000)).rejects.toThrow(/no agent/);
    await late.caller.hangUp();

    let exited = false;
    void bed.worker.exited.then(() => (exited = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(exited).toBe(false); // still serving the active call
    await active.caller.hangUp();
    const code = await bed.worker.exited;
    expect(code).toBe(143); // the CLI's exit code after a SIGTERM
  });
});
