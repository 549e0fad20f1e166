import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { DEFAULT_LOCAL_PROVIDERS_URL } from '../../agent/config/schema.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' };

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function writeFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'agent-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('defaults every stage to the embedded local providers', () => {
    const cfg = loadConfig(LIVEKIT);
    expect(cfg.stt.provider).toBe('local');
    expect(cfg.llm.provider).toBe('local');
    expect(cfg.tts.provider).toBe('local');
    expect(cfg.localProviders.url).toBe(DEFAULT_LOCAL_PROVIDERS_URL);
    expect(cfg.worker.agentName).toBe('voice-agent');
    expect(cfg.turn.detector).toBe('model');
  });

  it('waits a shorter silence by default with the end-of-turn model than with the VAD alone, and takes a set one for either', () => {
    expect(loadConfig(LIVEKIT).turn.minEndpointingDelayMs).toBe(200);
    expect(loadConfig({ ...LIVEKIT, TURN_DETECTOR: 'vad' }).turn.minEndpointingDelayMs).toBe(500);
    expect(loadConfig({ ...LIVEKIT, TURN_DETECTOR: 'vad', TURN_MIN_ENDPOINTING_DELAY_MS: '300' }).turn.minEndpointingDelayMs).toBe(300);
    expect(configError({ ...LIVEKIT, TURN_VAD_MIN_SILENCE_MS: '150' })).toContain('turn.vadMinSilenceMs');
    expect(loadConfig({ ...LIVEKIT, TURN_DETECTOR: 'vad', TURN_VAD_MIN_SILENCE_MS: '150' }).turn.vadMinSilenceMs).toBe(150);
  });

  it('names each missing LiveKit key and the variable that sets it', () => {
    const msg = configError({});
    expect(msg).toContain('livekit.url: Required (not set; set LIVEKIT_URL)');
    expect(msg).toContain('livekit.apiKey');
    expect(msg).toContain('livekit.apiSecret');
  });

  it('coerces numbers and booleans from the environment', () => {
    const cfg = loadConfig({ ...LIVEKIT, TURN_MIN_ENDPOINTING_DELAY_MS: '300', TURN_PREEMPTIVE_GENERATION: 'false', AGENT_LOAD_THRESHOLD: '0.9' });
    expect(cfg.turn.minEndpointingDelayMs).toBe(300);
    expect(cfg.turn.preemptiveGeneration).toBe(false);
    expect(cfg.worker.loadThreshold).toBe(0.9);
    expect(loadConfig({ ...LIVEKIT, AGENT_LOAD_THRESHOLD: 'Infinity' }).worker.loadThreshold).toBe(Infinity);
    expect(loadConfig({ ...LIVEKIT, AGENT_MAX_CONCURRENT_CALLS: '4' }).worker.maxConcurrentCalls).toBe(4);
    expect(configError({ ...LIVEKIT, AGENT_MAX_CONCURRENT_CALLS: '0' })).toContain('worker.maxConcurrentCalls');
  });

  it('reads the streaming STT, listening and echo settings, and names a bad one', () => {
    const defaults = loadConfig(LIVEKIT);
    expect(defaults.stt.streaming).toBe(true);
    expect(defaults.turn).toMatchObject({ vadMinSilenceMs: 250, preemptiveTts: true, ignoreBackchannels: true, falseInterruptionTimeoutMs: 1000 });
    expect(defaults.audio.echoCancellation).toBe('auto');
    const cfg = loadConfig({ ...LIVEKIT, STT_STREAMING: 'false', TURN_IGNORE_BACKCHANNELS: 'false', AUDIO_ECHO_CANCELLATION: 'on', STT_PREFLIGHT_TRANSCRIPTS: 'false' });
    expect([cfg.stt.streaming, cfg.turn.ignoreBackchannels, cfg.audio.echoCancellation, cfg.stt.preflightTranscripts]).toEqual([false, false, 'on', false]);
    expect(configError({ ...LIVEKIT, AUDIO_ECHO_CANCELLATION: 'maybe' })).toMatch(/audio\.echoCancellation: .*'auto' \| 'on' \| 'off'.* \(env AUDIO_ECHO_CANCELLATION\)/);
  });

  it('rejects a non-number with the key and the variable it came from', () => {
    const msg = configError({ ...LIVEKIT, TURN_MIN_ENDPOINTING_DELAY_MS: 'soon' });
    expect(msg).toMatch(/turn\.minEndpointingDelayMs: Expected number, received string \(env TURN_MIN_ENDPOINTING_DELAY_MS\)/);
  });

  it('rejects an unknown provider', () => {
    expect(configError({ ...LIVEKIT, TTS_PROVIDER: 'elevenlabs' })).toMatch(/tts\.provider: .*'local' \| 'openai' \| 'cartesia'.* \(env TTS_PROVIDER\)/);
  });

  it('rejects a bad LiveKit URL', () => {
    expect(configError({ ...LIVEKIT, LIVEKIT_URL: 'http://x' })).toContain('livekit.url: must start with ws:// or wss:// (env LIVEKIT_URL)');
  });

  it('requires a key for a cloud provider, and takes the vendor variable', () => {
    expect(configError({ ...LIVEKIT, LLM_PROVIDER: 'openai' })).toContain("llm.apiKey: required when llm.provider is 'openai'");
    expect(configError({ ...LIVEKIT, TTS_PROVIDER: 'cartesia', OPENAI_API_KEY: 'sk-x' })).toContain('tts.apiKey');
    const cfg = loadConfig({ ...LIVEKIT, LLM_PROVIDER: 'openai', TTS_PROVIDER: 'cartesia', OPENAI_API_KEY: 'sk-x', CARTESIA_API_KEY: 'ck-y' });
    expect(cfg.llm.apiKey).toBe('sk-x');
    expect(cfg.tts.apiKey).toBe('ck-y');
  });

  it('accepts a keyless OpenAI-compatible server given its base URL', () => {
    const cfg = loadConfig({ ...LIVEKIT, LLM_PROVIDER: 'openai', LLM_BASE_URL: 'http://127.0.0.1:11434/v1' });
    expect(cfg.llm.baseUrl).toBe('http://127.0.0.1:11434/v1');
  });

  it('reads a YAML file and lets the environment override it', () => {
    const file = writeFile('agent.yaml', 'llm:\n  model: llama3\nturn:\n  minEndpointingDelayMs: 250\n');
    const cfg = loadConfig({ ...LIVEKIT, AGENT_CONFIG: file, TURN_MIN_ENDPOINTING_DELAY_MS: '400' });
    expect(cfg.llm.model).toBe('llama3');
    expect(cfg.turn.minEndpointingDelayMs).toBe(400);
  });

  it('names the file for a bad or unknown key in it', () => {
    const file = writeFile('agent.yaml', 'turn:\n  minEndpointingDelay: 250\n');
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: file })).toContain(`turn.minEndpointingDelay: Unrecognized key(s) in object: 'minEndpointingDelay' (file ${file})`);
  });

  it('reports an unreadable or malformed file', () => {
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: '/nonexistent/agent.yaml' })).toContain('cannot read config file /nonexistent/agent.yaml');
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: writeFile('bad.yaml', 'turn: [1, 2') })).toContain('not valid YAML/JSON');
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: writeFile('list.yaml', '- 1\n- 2\n') })).toContain('must hold a mapping');
  });

  it('checks endpointing bounds against each other', () => {
    const msg = configError({ ...LIVEKIT, TURN_MIN_ENDPOINTING_DELAY_MS: '800', TURN_MAX_ENDPOINTING_DELAY_MS: '600' });
    expect(msg).toContain('turn.maxEndpointingDelayMs: maxEndpointingDelayMs must be >= minEndpointingDelayMs');
  });
});
