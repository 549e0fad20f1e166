import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodIssue } from 'zod';
import { type AgentConfig, configSchema } from './schema.js';

/** A configuration the worker cannot start with; the message names every offending key and where it came from. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type ValueKind = 'string' | 'number' | 'boolean';

/** Environment variables and the config keys they set. Environment wins over the config file. */
export const ENV_KEYS: Readonly<Record<string, readonly [path: string, kind: ValueKind]>> = {
  LIVEKIT_URL: ['livekit.url', 'string'],
  LIVEKIT_API_KEY: ['livekit.apiKey', 'string'],
  LIVEKIT_API_SECRET: ['livekit.apiSecret', 'string'],
  AGENT_NAME: ['worker.agentName', 'string'],
  AGENT_LOAD_THRESHOLD: ['worker.loadThreshold', 'number'],
  AGENT_MAX_CONCURRENT_CALLS: ['worker.maxConcurrentCalls', 'number'],
  AGENT_NUM_IDLE_PROCESSES: ['worker.numIdleProcesses', 'number'],
  AGENT_HTTP_PORT: ['worker.httpPort', 'number'],
  AGENT_DRAIN_TIMEOUT_MS: ['worker.drainTimeoutMs', 'number'],
  AGENT_INSTRUCTIONS: ['agent.instructions', 'string'],
  AGENT_GREETING: ['agent.greeting', 'string'],
  AGENT_APOLOGY: ['agent.apology', 'string'],
  LOCAL_PROVIDERS_URL: ['localProviders.url', 'string'],
  PHONE_TRANSFER_TO: ['phone.transferTo', 'string'],
  PHONE_KEYPAD_PAUSE_MS: ['phone.keypadPauseMs', 'number'],
  STT_PROVIDER: ['stt.provider', 'string'],
  STT_STREAMING: ['stt.streaming', 'boolean'],
  STT_MODEL: ['stt.model', 'string'],
  STT_PHONE_MODEL: ['stt.phoneModel', 'string'],
  STT_END_OF_UTTERANCE_SILENCE_MS: ['stt.endOfUtteranceSilenceMs', 'number'],
  STT_COMMIT: ['stt.commit', 'string'],
  STT_PREFLIGHT_TRANSCRIPTS: ['stt.preflightTranscripts', 'boolean'],
  STT_LANGUAGE: ['stt.language', 'string'],
  STT_BASE_URL: ['stt.baseUrl', 'string'],
  STT_API_KEY: ['stt.apiKey', 'string'],
  LLM_PROVIDER: ['llm.provider', 'string'],
  LLM_MODEL: ['llm.model', 'string'],
  LLM_TEMPERATURE: ['llm.temperature', 'number'],
  LLM_BASE_URL: ['llm.baseUrl', 'string'],
  LLM_API_KEY: ['llm.apiKey', 'string'],
  TTS_PROVIDER: ['tts.provider', 'string'],
  TTS_MODEL: ['tts.model', 'string'],
  TTS_VOICE: ['tts.voice', 'string'],
  TTS_FIRST_PHRASE_WORDS: ['tts.firstPhraseWords', 'number'],
  TTS_BASE_URL: ['tts.baseUrl', 'string'],
  TTS_API_KEY: ['tts.apiKey', 'string'],
  TURN_DETECTOR: ['turn.detector', 'string'],
  TURN_MIN_ENDPOINTING_DELAY_MS: ['turn.minEndpointingDelayMs', 'number'],
  TURN_MAX_ENDPOINTING_DELAY_MS: ['turn.maxEndpointingDelayMs', 'number'],
  TURN_MIN_INTERRUPTION_DURATION_MS: ['turn.minInterruptionDurationMs', 'number'],
  TURN_MIN_INTERRUPTION_WORDS: ['turn.minInterruptionWords', 'number'],
  TURN_FALSE_INTERRUPTION_TIMEOUT_MS: ['turn.falseInterruptionTimeoutMs', 'number'],
  TURN_RESUME_FALSE_INTERRUPTION: ['turn.resumeFalseInterruption', 'boolean'],
  TURN_IGNORE_BACKCHANNELS: ['turn.ignoreBackchannels', 'boolean'],
  AUDIO_ECHO_CANCELLATION: ['audio.echoCancellation', 'string'],
  TURN_UNFINISHED_DELAY_MS: ['turn.unfinishedDelayMs', 'number'],
  TURN_PHONE_EXTRA_DELAY_MS: ['turn.phoneExtraDelayMs', 'number'],
  TURN_MODEL_THRESHOLD: ['turn.modelThreshold', 'number'],
  TURN_VAD_ACTIVATION_THRESHOLD: ['turn.vadActivationThreshold', 'number'],
  TURN_VAD_MIN_SILENCE_MS: ['turn.vadMinSilenceMs', 'number'],
  TURN_PREEMPTIVE_GENERATION: ['turn.preemptiveGeneration', 'boolean'],
  TURN_PREEMPTIVE_TTS: ['turn.preemptiveTts', 'boolean'],
  PROVIDER_TIMEOUT_MS: ['providerRequests.timeoutMs', 'number'],
  PROVIDER_MAX_RETRY: ['providerRequests.maxRetry', 'number'],
  PROVIDER_RETRY_INTERVAL_MS: ['providerRequests.retryIntervalMs', 'number'],
};

/** The file named by this variable (YAML or JSON) is read first; the environment overrides it. */
export const CONFIG_FILE_ENV = 'AGENT_CONFIG';

/** Vendor keys used when a stage selects that vendor and sets no key of its own. */
const VENDOR_KEYS: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  cartesia: 'CARTESIA_API_KEY',
};

type Raw = Record<string, unknown>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const sources = new Map<string, string>();
  const file = env[CONFIG_FILE_ENV];
  const raw: Raw = file ? readConfigFile(file) : {};
  if (file) recordSources(raw, '', `file ${file}`, sources);

  for (const [name, [path, kind]] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, coerce(value, kind));
    sources.set(path, `env ${name}`);
  }
  // Report each missing LiveKit setting by name rather than the whole section as missing.
  if (raw.livekit === undefined) raw.livekit = {};
  for (const stage of ['stt', 'llm', 'tts']) {
    const section = (raw[stage] ?? {}) as Raw;
    const vendorKey = VENDOR_KEYS[String(section.provider)];
    if (vendorKey && section.apiKey === undefined && env[vendorKey]) {
      setPath(raw, `${stage}.apiKey`, env[vendorKey]);
      sources.set(`${stage}.apiKey`, `env ${vendorKey}`);
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration:\n${parsed.error.issues.map((i) => describeIssue(i, sources)).join('\n')}`,
    );
  }
  return parsed.data;
}

function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON, so both formats parse here
  } catch (e) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: config file ${path} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: config file ${path} must hold a mapping of sections`);
  }
  return doc as Raw;
}

function coerce(value: string, kind: ValueKind): unknown {
  if (kind === 'number') {
    // Leave non-numbers as strings so the schema reports them with the key's name.
    const n = Number(value); // 'Infinity' is a number here (e.g. a load threshold that never sheds calls)
    return value.trim() !== '' && !Number.isNaN(n) ? n : value;
  }
  if (kind === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
  }
  return value;
}

function setPath(target: Raw, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Raw;
  }
  node[keys[keys.length - 1]!] = value;
}

function recordSources(node: unknown, prefix: string, source: string, sources: Map<string, string>): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    sources.set(path, source);
    recordSources(value, path, source, sources);
  }
}

function describeIssue(issue: ZodIssue, sources: Map<string, string>): string {
  const path = issue.path.join('.');
  const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (path ? `${path}.${k}` : k)) : [];
  const key = unknownKeys.length ? unknownKeys.join(', ') : path || '(root)';
  const source = sources.get(unknownKeys[0] ?? path) ?? envHint(path);
  return `  ${key}: ${issue.message}${source ? ` (${source})` : ''}`;
}

/** For a key that nobody set, say which variable would set it. */
function envHint(path: string): string | undefined {
  const name = Object.entries(ENV_KEYS).find(([, [p]]) => p === path)?.[0];
  return name ? `not set; set ${name}` : undefined;
}
