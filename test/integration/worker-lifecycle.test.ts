import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordOverlap } from '../../plugins/local-providers/engines/words.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:1', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' };

/** Starts the worker as production does and returns how it ended. */
function startWorker(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LIVEKIT_|AGENT_|STT_|LLM_|TTS_|TURN_|PROVIDER_)/.test(k)));
  return spawnSync(process.execPath, ['--import', 'tsx', 'agent/main.ts', 'start'], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
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

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
    const answering = active.caller.ask('What is the weather like today?');
    await until(() => bed.stack.providers.log.list('llm').length > 0);
    bed.stack.worker.process.kill('SIGTERM');
    const inFlight = await answering;
    expect(wordOverlap('It is sunny and warm today. It is a good day for a long walk in the park.', inFlight.reply)).toBeGreaterThanOrEqual(0.6);
    const next = await active.caller.ask('Tell me a funny joke.');
    expect(wordOverlap('Why did the chicken cross the road? To get to the other side.', next.reply)).toBeGreaterThanOrEqual(0.6);

    const late = await bed.call();
    await expect(late.caller.waitForAgentWithin(5000)).rejects.toThrow(/no agent/);
    await late.caller.hangUp();

    let exited = false;
    void bed.stack.worker.exited.then(() => (exited = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(exited).toBe(false); // still serving the active call
    await active.caller.hangUp();
    const code = await bed.stack.worker.exited;
    expect(code).toBe(143); // the CLI's exit code after a SIGTERM
  });
});
