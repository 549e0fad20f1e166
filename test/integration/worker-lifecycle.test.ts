import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/stack/local-stack.js';
import { FliteSynthesizer } from '../../plugins/local-providers/engines/flite.js';
import { PocketsphinxRecognizer } from '../../plugins/local-providers/engines/pocketsphinx.js';
import { wordOverlap } from '../../plugins/local-providers/engines/words.js';
import { placeCall } from '../support/place-call.js';
import { testNodeIp } from '../support/test-network.js';

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

describe('SIGTERM drains the worker', () => {
  let stack: LocalStack;
  let recognizer: PocketsphinxRecognizer;
  const synthesizer = new FliteSynthesizer({ voice: 'slt' });

  beforeAll(async () => {
    stack = await startLocalStack({
      logDir: '.run/test-logs/worker-lifecycle',
      nodeIp: testNodeIp(),
      worker: { agentName: 'agent-drain', httpPort: 18184, env: { AGENT_NUM_IDLE_PROCESSES: '1' } },
    });
    recognizer = await PocketsphinxRecognizer.start();
  });
  afterAll(async () => {
    await recognizer?.close();
    await stack?.stop();
  });

  it('finishes the active call, takes no new one, then exits', async () => {
    const setup = { livekit: stack.livekit, agentName: 'agent-drain', synthesizer, transcriber: recognizer };
    const active = await placeCall(setup);
    await active.caller.waitForAgent();
    await active.caller.hearNextSpeech(0);

    stack.worker.process.kill('SIGTERM');
    const turn = await active.caller.ask('Tell me a funny joke.');
    expect(wordOverlap('Why did the chicken cross the road? To get to the other side.', turn.reply)).toBeGreaterThanOrEqual(0.6);

    const late = await placeCall(setup);
    await expect(late.caller.waitForAgentWithin(5000)).rejects.toThrow(/no agent/);
    await late.caller.hangUp();

    let exited = false;
    void stack.worker.exited.then(() => (exited = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(exited).toBe(false); // still serving the active call
    await active.caller.hangUp();
    const code = await stack.worker.exited;
    expect(code).toBe(143); // the CLI's exit code after a SIGTERM
  });
});
