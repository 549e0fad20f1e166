import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ENV_KEYS } from '../../agent/config/env-keys.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { DEFAULT_LOCAL_PROVIDERS_URL, MAX_TIMER_MS } from '../../agent/config/schema.js';

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
  it("takes the agent's name from AGENT_NAME or LiveKit's LIVEKIT_AGENT_NAME, and refuses the two disagreeing", () => {
    expect(loadConfig({ ...LIVEKIT, LIVEKIT_AGENT_NAME: 'front-desk' }).worker.agentName).toBe('front-desk');
    expect(loadConfig({ ...LIVEKIT, LIVEKIT_AGENT_NAME: 'front-desk', AGENT_NAME: 'front-desk' }).worker.agentName).toBe('front-desk');
    expect(configError({ ...LIVEKIT, LIVEKIT_AGENT_NAME: 'front-desk', AGENT_NAME: 'sales' })).toMatch(
      /AGENT_NAME and LIVEKIT_AGENT_NAME disagree/,
    );
  });

  it('defaults every stage to the local providers', () => {
    const cfg = loadConfig(LIVEKIT);
    expect(cfg.stt.provider).toBe('local');
    expect(cfg.llm.provider).toBe('local');
    expect(cfg.tts.provider).toBe('local');
    expect(cfg.localProviders.url).toBe(DEFAULT_LOCAL_PROVIDERS_URL);
    expect(cfg.worker.agentName).toBe('voice-agent');
    expect(cfg.turn.detector).toBe('model');
    expect(cfg.turn.speechGate).toBe(false);
    expect(cfg.stt.commit).toBe('provider');
  });

  it('waits by detector by default, and takes a set wait for any', () => {
    const waits = (env: Record<string, string> = {}) => {
      const { minEndpointingDelayMs, unsureDelayMs, maxEndpointingDelayMs } = loadConfig({ ...LIVEKIT, ...env }).turn;
      return [minEndpointingDelayMs, unsureDelayMs, maxEndpointingDelayMs];
    };
    expect(waits()).toEqual([200, 1200, 1200]);
    expect(waits({ TURN_DETECTOR: 'combined' })).toEqual([0, 1200, 1200]);
    expect(waits({ TURN_DETECTOR: 'vad' })[0]).toBe(500);
    expect(waits({ TURN_DETECTOR: 'vad', TURN_MIN_ENDPOINTING_DELAY_MS: '300' })[0]).toBe(300);
    expect(waits({ TURN_DETECTOR: 'combined', TURN_UNSURE_DELAY_MS: '800', TURN_MAX_ENDPOINTING_DELAY_MS: '1500' })).toEqual([
      0, 800, 1500,
    ]);
    expect(configError({ ...LIVEKIT, TURN_VAD_MIN_SILENCE_MS: '150' })).toContain('turn.vadMinSilenceMs');
    expect(loadConfig({ ...LIVEKIT, TURN_DETECTOR: 'combined', TURN_VAD_MIN_SILENCE_MS: '150' }).turn.vadMinSilenceMs).toBe(150);
  });

  it("keeps the combined detector's waits and thresholds in order", () => {
    const combined = { ...LIVEKIT, TURN_DETECTOR: 'combined' };
    expect(configError({ ...combined, TURN_UNSURE_DELAY_MS: '1500' })).toContain('turn.unsureDelayMs');
    expect(configError({ ...combined, TURN_MIN_ENDPOINTING_DELAY_MS: '1300' })).toContain('turn.unsureDelayMs');
    expect(configError({ ...LIVEKIT, TURN_DONE_THRESHOLD: '0.4', TURN_UNSURE_THRESHOLD: '0.6' })).toContain('turn.unsureThreshold');
    expect(loadConfig({ ...LIVEKIT, TURN_DONE_THRESHOLD: '0.7', TURN_UNSURE_THRESHOLD: '0.2' }).turn).toMatchObject({
      doneThreshold: 0.7,
      unsureThreshold: 0.2,
    });
  });

  it('names each missing LiveKit key and the variable that sets it', () => {
    const msg = configError({});
    expect(msg).toContain('livekit.url: Required (not set; set LIVEKIT_URL)');
    expect(msg).toContain('livekit.apiKey');
    expect(msg).toContain('livekit.apiSecret');
  });

  it('sets every key from an environment variable its schema names, parsed as its type', () => {
    const leaves = (value: unknown, path: string[] = []): string[] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([key, v]) => leaves(v, [...path, key]))
        : [path.join('.')];
    const paths = new Set(Object.values(ENV_KEYS).map(([path]) => path));
    expect(leaves(loadConfig(LIVEKIT)).filter((path) => !paths.has(path))).toEqual([]);
    expect(ENV_KEYS).toMatchObject({
      LIVEKIT_URL: ['livekit.url', 'string'],
      AGENT_NAME: ['worker.agentName', 'string'],
      LIVEKIT_AGENT_NAME: ['worker.agentName', 'string'],
      AGENT_HTTP_PORT: ['worker.httpPort', 'number'],
      TURN_SPEECH_GATE: ['turn.speechGate', 'boolean'],
      REDIS_URL: ['redis.url', 'string'],
    });
  });

  it('refuses a LiveKit URL holding user:password, which the framework would log on every reconnection', () => {
    const msg = configError({ ...LIVEKIT, LIVEKIT_URL: 'wss://admin:pw-hunter2-hunter2@lk.example.com' });
    expect(msg).toContain('livekit.url: must not hold user:password@');
    expect(msg).not.toContain('hunter2');
  });

  it('coerces numbers and booleans from the environment', () => {
    const cfg = loadConfig({
      ...LIVEKIT,
      TURN_MIN_ENDPOINTING_DELAY_MS: '300',
      TURN_PREEMPTIVE_GENERATION: 'false',
      AGENT_LOAD_THRESHOLD: '0.9',
    });
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
    expect(defaults.turn).toMatchObject({
      vadMinSilenceMs: 250,
      preemptiveTts: true,
      ignoreBackchannels: true,
      falseInterruptionTimeoutMs: 1000,
    });
    expect(defaults.audio.echoCancellation).toBe('auto');
    const cfg = loadConfig({
      ...LIVEKIT,
      STT_STREAMING: 'false',
      TURN_IGNORE_BACKCHANNELS: 'false',
      AUDIO_ECHO_CANCELLATION: 'on',
      STT_PREFLIGHT_TRANSCRIPTS: 'false',
    });
    expect([cfg.stt.streaming, cfg.turn.ignoreBackchannels, cfg.audio.echoCancellation, cfg.stt.preflightTranscripts]).toEqual([
      false,
      false,
      'on',
      false,
    ]);
    expect(configError({ ...LIVEKIT, AUDIO_ECHO_CANCELLATION: 'maybe' })).toMatch(
      /audio\.echoCancellation: .*'auto' \| 'on' \| 'off'.* \(env AUDIO_ECHO_CANCELLATION\)/,
    );
  });

  it('rejects a non-number with the key and the variable it came from', () => {
    const msg = configError({ ...LIVEKIT, TURN_MIN_ENDPOINTING_DELAY_MS: 'soon' });
    expect(msg).toMatch(/turn\.minEndpointingDelayMs: Expected number, received string \(env TURN_MIN_ENDPOINTING_DELAY_MS\)/);
  });

  it('rejects an unknown provider', () => {
    expect(configError({ ...LIVEKIT, TTS_PROVIDER: 'elevenlabs' })).toMatch(
      /tts\.provider: .*'local' \| 'openai' \| 'cartesia'.* \(env TTS_PROVIDER\)/,
    );
  });

  it('takes a LiveKit URL of a scheme the worker can connect with, and with a host', () => {
    for (const url of ['ws://', 'wss://', 'ftp://x', 'x', 'ws:x', 'ws://:7880']) {
      expect(configError({ ...LIVEKIT, LIVEKIT_URL: url })).toContain(
        'livekit.url: must be a ws://, wss://, http://, https:// URL with a host (env LIVEKIT_URL)',
      );
    }
    for (const url of ['wss://project.livekit.cloud', 'http://127.0.0.1:7880', 'https://x'])
      expect(loadConfig({ ...LIVEKIT, LIVEKIT_URL: url }).livekit.url).toBe(url);
  });

  it('takes provider URLs over http(s) with a host only', () => {
    expect(configError({ ...LIVEKIT, STT_BASE_URL: 'file:///etc/passwd' })).toContain(
      'stt.baseUrl: must be a http://, https:// URL with a host (env STT_BASE_URL)',
    );
    expect(configError({ ...LIVEKIT, LLM_BASE_URL: 'http://' })).toContain('llm.baseUrl');
    expect(configError({ ...LIVEKIT, TTS_BASE_URL: 'wss://api.cartesia.ai' })).toContain('tts.baseUrl');
    expect(configError({ ...LIVEKIT, LOCAL_PROVIDERS_URL: 'javascript:alert(1)' })).toContain('localProviders.url');
    expect(loadConfig({ ...LIVEKIT, STT_BASE_URL: ' https://api.openai.com/v1 ' }).stt.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('refuses a blank key or secret, and trims the whitespace a paste leaves around one', () => {
    expect(configError({ ...LIVEKIT, LIVEKIT_API_SECRET: '   ' })).toContain(
      'livekit.apiSecret: must not be blank (env LIVEKIT_API_SECRET)',
    );
    expect(configError({ ...LIVEKIT, LIVEKIT_API_KEY: '\t' })).toContain('livekit.apiKey: must not be blank (env LIVEKIT_API_KEY)');
    expect(configError({ ...LIVEKIT, LLM_PROVIDER: 'openai', LLM_API_KEY: ' ' })).toContain('llm.apiKey: must not be blank');
    expect(loadConfig({ ...LIVEKIT, LIVEKIT_API_SECRET: 'secret\n' }).livekit.apiSecret).toBe('secret');
  });

  it('bounds every duration by what Node timers hold, and by what makes sense', () => {
    expect(configError({ ...LIVEKIT, AGENT_DRAIN_TIMEOUT_MS: '3000000000' })).toContain(
      `worker.drainTimeoutMs: Number must be less than or equal to ${MAX_TIMER_MS} (env AGENT_DRAIN_TIMEOUT_MS)`,
    );
    expect(loadConfig({ ...LIVEKIT, AGENT_DRAIN_TIMEOUT_MS: String(MAX_TIMER_MS) }).worker.drainTimeoutMs).toBe(MAX_TIMER_MS);
    expect(configError({ ...LIVEKIT, PROVIDER_TIMEOUT_MS: '5000000000' })).toContain(
      'providerRequests.timeoutMs: Number must be less than or equal to 600000',
    );
    expect(configError({ ...LIVEKIT, PROVIDER_TIMEOUT_MS: '0' })).toContain(
      'providerRequests.timeoutMs: Number must be greater than or equal to 100',
    );
    // At 0 a lost STT stream is reopened as fast as the provider refuses it.
    expect(configError({ ...LIVEKIT, PROVIDER_RETRY_INTERVAL_MS: '0' })).toContain(
      'providerRequests.retryIntervalMs: Number must be greater than or equal to 10',
    );
    expect(configError({ ...LIVEKIT, PROVIDER_RETRY_INTERVAL_MS: '1e12' })).toContain('providerRequests.retryIntervalMs');
    for (const name of [
      'TURN_MIN_ENDPOINTING_DELAY_MS',
      'TURN_UNFINISHED_DELAY_MS',
      'TURN_PHONE_EXTRA_DELAY_MS',
      'TURN_MIN_INTERRUPTION_DURATION_MS',
      'TURN_FALSE_INTERRUPTION_TIMEOUT_MS',
    ]) {
      expect(configError({ ...LIVEKIT, TURN_MAX_ENDPOINTING_DELAY_MS: '30000', [name]: '3000000000' })).toContain(`(env ${name})`);
    }
    expect(configError({ ...LIVEKIT, AGENT_DRAIN_TIMEOUT_MS: 'Infinity' })).toContain('worker.drainTimeoutMs');
    // Longer than the framework's 10 s, which killed job processes still loading on a busy machine.
    expect(loadConfig(LIVEKIT).worker.processInitTimeoutMs).toBe(30_000);
    expect(configError({ ...LIVEKIT, AGENT_PROCESS_INIT_TIMEOUT_MS: '500' })).toContain(
      'worker.processInitTimeoutMs: Number must be greater than or equal to 1000 (env AGENT_PROCESS_INIT_TIMEOUT_MS)',
    );
  });

  it('listens on loopback unless told to open the HTTP port, and only where its jobs can reach it', () => {
    expect(loadConfig(LIVEKIT).worker.httpHost).toBe('127.0.0.1');
    expect(loadConfig({ ...LIVEKIT, AGENT_HTTP_HOST: '0.0.0.0' }).worker.httpHost).toBe('0.0.0.0');
    expect(loadConfig({ ...LIVEKIT, AGENT_HTTP_HOST: '::' }).worker.httpHost).toBe('::');
    expect(loadConfig({ ...LIVEKIT, AGENT_HTTP_HOST: '::1' }).worker.httpHost).toBe('::1');
    for (const host of ['localhost', '10.0.0.7', '127.0.0.256', 'not a host']) {
      expect(configError({ ...LIVEKIT, AGENT_HTTP_HOST: host })).toContain(
        'worker.httpHost: must be a loopback address (127.0.0.1, ::1), or 0.0.0.0 or :: to answer on every interface (env AGENT_HTTP_HOST)',
      );
    }
  });

  it('requires a key for a cloud provider, and takes the vendor variable', () => {
    expect(configError({ ...LIVEKIT, LLM_PROVIDER: 'openai' })).toContain("llm.apiKey: required when llm.provider is 'openai'");
    expect(configError({ ...LIVEKIT, TTS_PROVIDER: 'cartesia', OPENAI_API_KEY: 'sk-x' })).toContain('tts.apiKey');
    const cfg = loadConfig({
      ...LIVEKIT,
      LLM_PROVIDER: 'openai',
      TTS_PROVIDER: 'cartesia',
      OPENAI_API_KEY: 'sk-x',
      CARTESIA_API_KEY: 'ck-y',
    });
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
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: file })).toContain(
      `turn.minEndpointingDelay: Unrecognized key(s) in object: 'minEndpointingDelay' (file ${file})`,
    );
  });

  it('reports an unreadable or malformed file', () => {
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: '/nonexistent/agent.yaml' })).toContain(
      'cannot read config file /nonexistent/agent.yaml',
    );
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: writeFile('bad.yaml', 'turn: [1, 2') })).toContain('not valid YAML/JSON');
    expect(configError({ ...LIVEKIT, AGENT_CONFIG: writeFile('list.yaml', '- 1\n- 2\n') })).toContain('must hold a mapping');
  });

  describe('keeps secrets out of its errors', () => {
    const SECRET = 's3cr3t-Qx7vN2pL9wZ4';
    const lines = (apiSecretLine: string) => `livekit:\n  url: ws://127.0.0.1:7880\n  apiKey: devkey\n${apiSecretLine}\n`;

    it.each([
      ['an unclosed quote', lines(`  apiSecret: "${SECRET}`), 5], // found at the end of the file
      ['a bad escape', lines(`  apiSecret: "${SECRET}\\q"`), 4],
      ['a colon in a plain value', lines(`  apiSecret: ${SECRET}: x`), 4],
      ['a block scalar header', lines(`  apiSecret: |${SECRET}`), 4],
      ['JSON on one line', `{"livekit": {"apiSecret": "${SECRET}", "url": [}}`, 1],
      ['the line after it', `${lines(`  apiSecret: ${SECRET}`)}  url ws://x\n`, 5],
    ])('a syntax error at or near the secret (%s) is placed by line and key, never quoted', (_, text, line) => {
      const msg = configError({ AGENT_CONFIG: writeFile('agent.yaml', text) });
      expect(msg).toContain('not valid YAML/JSON');
      expect(msg).toContain(`line ${line}, column `);
      expect(msg).not.toContain(SECRET);
      expect(msg).not.toContain(SECRET.slice(0, 8));
    });

    it('names the secret key a syntax error sits in, with its code', () => {
      expect(configError({ AGENT_CONFIG: writeFile('agent.yaml', lines(`  apiSecret: "${SECRET}\\q"`)) })).toMatch(
        /line 4, column \d+: BAD_DQ_ESCAPE in the value of apiSecret \(the text there is not shown\)/,
      );
    });

    it('does not let the YAML parser print a warning that quotes the secret', () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const consoleWarn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        configError({ AGENT_CONFIG: writeFile('agent.yaml', lines(`  apiSecret: !${SECRET}`)) });
        expect(JSON.stringify([warn.mock.calls, consoleWarn.mock.calls].map(String))).not.toContain(SECRET);
        expect(warn).not.toHaveBeenCalled();
      } finally {
        warn.mockRestore();
        consoleWarn.mockRestore();
      }
    });

    it('hides a secret wherever a message would echo it, from the environment or the file', () => {
      // A vendor key pasted into the provider variable: the enum error echoes what it received.
      const fromEnv = configError({ ...LIVEKIT, STT_PROVIDER: SECRET, OPENAI_API_KEY: SECRET });
      expect(fromEnv).toContain("stt.provider: Invalid enum value. Expected 'local' | 'openai', received '[redacted]' (env STT_PROVIDER)");
      expect(fromEnv).not.toContain(SECRET);
      const file = writeFile('agent.yaml', `${lines(`  apiSecret: ${SECRET}`)}llm:\n  provider: ${SECRET}\n`);
      expect(configError({ AGENT_CONFIG: file })).not.toContain(SECRET);
    });

    it('quotes unknown keys and enum values only as plain words, which cannot hold a secret key and its value', () => {
      const asKey = configError({
        AGENT_CONFIG: writeFile('agent.yaml', `${lines('  apiSecret: x')}  "apiSecret: ${SECRET}": 1\n  apiSecrett: 1\n`),
      });
      expect(asKey).toContain(
        "livekit.(a key that is not a plain name), livekit.apiSecrett: Unrecognized key(s) in object: '(a key that is not a plain name)', 'apiSecrett'",
      );
      const asValue = configError({ ...LIVEKIT, AGENT_CONFIG: writeFile('agent.yaml', `stt:\n  provider: >\n    apiSecret: ${SECRET}\n`) });
      expect(asValue).toContain("stt.provider: Invalid enum value. Expected 'local' | 'openai' (file ");
      expect(`${asKey}${asValue}`).not.toContain(SECRET);
    });
  });

  it('checks endpointing bounds against each other', () => {
    const msg = configError({ ...LIVEKIT, TURN_MIN_ENDPOINTING_DELAY_MS: '800', TURN_MAX_ENDPOINTING_DELAY_MS: '600' });
    expect(msg).toContain('turn.maxEndpointingDelayMs: maxEndpointingDelayMs must be >= minEndpointingDelayMs');
  });
});
