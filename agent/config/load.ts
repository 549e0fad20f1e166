import { readFileSync } from 'node:fs';
import { CST, LineCounter, Parser, parseDocument, type YAMLError } from 'yaml';
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
  // The name LiveKit's starters use; both may be set if they agree.
  LIVEKIT_AGENT_NAME: ['worker.agentName', 'string'],
  AGENT_REGION: ['worker.region', 'string'],
  AGENT_LOAD_THRESHOLD: ['worker.loadThreshold', 'number'],
  AGENT_MAX_CONCURRENT_CALLS: ['worker.maxConcurrentCalls', 'number'],
  AGENT_LIVEKIT_TARGET_LOAD: ['worker.livekitTargetLoad', 'number'],
  AGENT_NUM_IDLE_PROCESSES: ['worker.numIdleProcesses', 'number'],
  AGENT_PROCESS_INIT_TIMEOUT_MS: ['worker.processInitTimeoutMs', 'number'],
  AGENT_HTTP_PORT: ['worker.httpPort', 'number'],
  AGENT_HTTP_HOST: ['worker.httpHost', 'string'],
  AGENT_DRAIN_TIMEOUT_MS: ['worker.drainTimeoutMs', 'number'],
  AGENT_INSTRUCTIONS: ['agent.instructions', 'string'],
  AGENT_GREETING: ['agent.greeting', 'string'],
  AGENT_APOLOGY: ['agent.apology', 'string'],
  LOCAL_PROVIDERS_URL: ['localProviders.url', 'string'],
  REDIS_URL: ['redis.url', 'string'],
  LOG_TRANSCRIPTS: ['log.transcripts', 'boolean'],
  AGENT_RESUMPTION: ['agent.resumption', 'string'],
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
  TURN_TRANSCRIPT_WAIT_MS: ['turn.transcriptWaitMs', 'number'],
  TURN_MODEL_THRESHOLD: ['turn.modelThreshold', 'number'],
  TURN_UNSURE_DELAY_MS: ['turn.unsureDelayMs', 'number'],
  TURN_DONE_THRESHOLD: ['turn.doneThreshold', 'number'],
  TURN_UNSURE_THRESHOLD: ['turn.unsureThreshold', 'number'],
  TURN_SPEECH_GATE: ['turn.speechGate', 'boolean'],
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

const SECRET_WORDS = 'secret|password|passwd|token|api[-_]?key|credentials?';
const SECRET_KEY = new RegExp(`^[\\w.-]*(${SECRET_WORDS})$`, 'i');
const SECRET_KEY_IN_TEXT = new RegExp(`[\\w.-]*(${SECRET_WORDS})`, 'i');
/** A secret key's name, its colon and the word after it, in text that need not parse. */
const SECRET_KEY_AND_WORD = new RegExp(`(?:${SECRET_WORDS})["']?\\s*[:=]\\s*["']?([^\\s"',{}\\[\\]]+)`, 'gi');

/**
 * Keys whose values are credentials (`apiSecret`, `apiKey`, `password`, `token`, …). No configuration
 * error shows their values, however they were set, nor the config file's text around them: a message
 * quotes the configuration only in plain words, as a file's syntax error does unless it is at a
 * secret key, and never with a secret value in it.
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `text` as a message may quote it: a plain word, which cannot hold `apiSecret: …` text. */
function quotable(text: unknown): string | undefined {
  return typeof text === 'string' && /^[\w.-]{1,64}$/.test(text) ? text : undefined;
}

/** The variables that hold credentials: those setting a secret key, and the vendors' keys. */
const SECRET_ENV_NAMES = [
  ...Object.entries(ENV_KEYS)
    .filter(([, [path]]) => isSecretKey(path))
    .map(([name]) => name),
  ...Object.values(VENDOR_KEYS),
];

type Raw = Record<string, unknown>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const secrets = new SecretValues();
  for (const name of SECRET_ENV_NAMES) secrets.add(env[name]);
  try {
    return parseConfig(env, secrets);
  } catch (e) {
    // Every configuration error leaves through here, so none can carry a secret that its sources hold.
    if (e instanceof ConfigError) throw new ConfigError(secrets.redact(e.message));
    throw e;
  }
}

function parseConfig(env: NodeJS.ProcessEnv, secrets: SecretValues): AgentConfig {
  const sources = new Map<string, string>();
  const file = env[CONFIG_FILE_ENV];
  const raw: Raw = file ? readConfigFile(file, secrets) : {};
  if (file) recordSources(raw, `file ${file}`, sources);

  for (const [name, [path, kind]] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const earlier = sources.get(path);
    if (earlier?.startsWith('env ') && env[earlier.slice(4)] !== value) {
      throw new ConfigError(`invalid configuration:\n  ${path}: ${earlier.slice(4)} and ${name} disagree: set one of them`);
    }
    setPath(raw, path, coerce(value, kind));
    sources.set(path, `env ${name}`);
  }
  // Report each missing LiveKit setting by name rather than the whole section as missing.
  if (raw.livekit === undefined) raw.livekit = {};
  for (const stage of ['stt', 'llm', 'tts']) {
    const section = (raw[stage] ?? {}) as Raw;
    const vendorKey =
      typeof section.provider === 'string' && Object.hasOwn(VENDOR_KEYS, section.provider) ? VENDOR_KEYS[section.provider] : undefined;
    if (vendorKey && section.apiKey === undefined && env[vendorKey]) {
      setPath(raw, `${stage}.apiKey`, env[vendorKey]);
      sources.set(`${stage}.apiKey`, `env ${vendorKey}`);
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => describeIssue(i, sources)).join('\n')}`);
  }
  return parsed.data;
}

function readConfigFile(path: string, secrets: SecretValues): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: cannot read config file ${path}: ${(e as Error).message}`);
  }
  const value = parseConfigText(text, secrets, `${CONFIG_FILE_ENV}: config file ${path} is not valid YAML/JSON`);
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: config file ${path} must hold a mapping of sections`);
  }
  return value as Raw;
}

/** The file's content; the values of its secret keys go to `secrets` first, whether it parses or not. */
function parseConfigText(text: string, secrets: SecretValues, invalid: string): unknown {
  let spans: SecretSpan[];
  try {
    spans = secretSpans(text);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`${invalid}: nested too deeply`);
    throw e;
  }
  for (const span of spans) secrets.add(span.value);
  // Also what reads as a secret key's value to a person, where the parser makes something else of it.
  for (const [, word] of text.matchAll(SECRET_KEY_AND_WORD)) secrets.add(word);
  const lines = new LineCounter();
  // YAML is a superset of JSON, so both formats parse here. Warnings are not printed: yaml's quote
  // the text (an unknown tag on a secret is the secret).
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, logLevel: 'error' });
  const [error] = doc.errors;
  if (error) throw new ConfigError(`${invalid}: ${describeSyntaxError(error, text, lines, spans)}`);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    // yaml's message names the alias, and in flow text the name runs on into whatever follows it.
    throw new ConfigError(`${invalid}: an alias (*name) has no anchor (&name) before it, or the aliases expand too far`);
  }
  secrets.addUnderSecretKeys(value);
  return value;
}

/** Where a secret key's value lies in the file's text: offsets from the end of the key to the end of its value. */
interface SecretSpan {
  key: string;
  from: number;
  to: number;
  value?: string;
}

/** The file's secret values, found on yaml's syntax tree, which it builds for a broken file too. */
function secretSpans(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const ignoreErrors = () => {}; // the document's parse reports them
  const end = (token: CST.Token) => token.offset + CST.stringify(token).length;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, ({ key, sep, value }) => {
      const name = key && CST.resolveAsScalar(key, true, ignoreErrors)?.value;
      if (!key || !name || !isSecretKey(name)) return;
      const last = value ?? sep?.at(-1);
      spans.push({
        key: name,
        from: end(key),
        to: last ? end(last) : end(key),
        value: CST.resolveAsScalar(value, true, ignoreErrors)?.value,
      });
    });
  }
  return spans;
}

/**
 * Where the file broke, and why. yaml's reason can quote the text it stopped at, so in a secret
 * key's value, or on a line that names one, only its code is given.
 */
function describeSyntaxError(error: YAMLError, text: string, lines: LineCounter, spans: SecretSpan[]): string {
  const offset = error.pos[0];
  const { line, col } = lines.linePos(offset);
  const where = `line ${line}, column ${col}`;
  const inValue = spans.find((span) => offset >= span.from && offset <= span.to)?.key;
  if (inValue) return `${where}: ${error.code} in the value of ${inValue} (the text there is not shown)`;
  const onLine = text.slice(lines.lineStarts[line - 1], lines.lineStarts[line]).match(SECRET_KEY_IN_TEXT)?.[0];
  if (onLine) return `${where}: ${error.code} on the line of ${onLine} (the text there is not shown)`;
  return `${where}: ${error.message}`;
}

/**
 * Shorter values are not hidden: they are no credential (livekit-server asks for 32 characters; its
 * dev pair, `devkey` and `secret`, is public), and hiding one would blank out words of the message.
 */
const SHORTEST_HIDDEN_SECRET = 8;

/** The values of secret keys in one configuration's sources, kept out of every message about it. */
class SecretValues {
  readonly #values = new Set<string>();

  /** `value`, or everything in it (a secret key may hold a mapping). */
  add(value: unknown, seen = new Set<object>()): void {
    if (value === undefined || value === null) return;
    if (typeof value === 'object') {
      if (seen.has(value)) return; // yaml aliases can make a document cyclic
      seen.add(value);
      for (const item of Object.values(value)) this.add(item, seen);
      return;
    }
    const text = String(value).trim();
    if (text.length >= SHORTEST_HIDDEN_SECRET) this.#values.add(text);
  }

  /** Every value under a secret key anywhere in a parsed file. */
  addUnderSecretKeys(node: unknown, seen = new Set<object>()): void {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      if (isSecretKey(key)) this.add(value);
      else this.addUnderSecretKeys(value, seen);
    }
  }

  /** `text` with each secret in it replaced, the longest first so that none is left half shown. */
  redact(text: string): string {
    const values = [...this.#values].sort((a, b) => b.length - a.length);
    if (!values.length) return text;
    const pattern = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    return text.replace(pattern, '[redacted]');
  }
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

/** Which source set each section and key: the schema goes no deeper. */
function recordSources(raw: Raw, source: string, sources: Map<string, string>): void {
  for (const [section, keys] of Object.entries(raw)) {
    sources.set(section, source);
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) continue;
    for (const key of Object.keys(keys)) sources.set(`${section}.${key}`, source);
  }
}

/** One line per issue, naming the key; the only values zod would quote, unknown keys and enum values, are quoted if plain words. */
function describeIssue(issue: ZodIssue, sources: Map<string, string>): string {
  const path = issue.path.join('.');
  const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (path ? `${path}.${k}` : k)) : [];
  const source = sources.get(unknownKeys[0] ?? path) ?? envHint(path);
  let key = path || '(root)';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const shown = issue.keys.map((k) => quotable(k) ?? '(a key that is not a plain name)');
    key = shown.map((k) => (path ? `${path}.${k}` : k)).join(', ');
    message = `Unrecognized key(s) in object: ${shown.map((k) => `'${k}'`).join(', ')}`;
  }
  if (issue.code === 'invalid_enum_value') {
    const received = quotable(issue.received);
    message = `Invalid enum value. Expected ${issue.options.map((o) => `'${o}'`).join(' | ')}${received ? `, received '${received}'` : ''}`;
  }
  return `  ${key}: ${message}${source ? ` (${source})` : ''}`;
}

/** For a key that nobody set, say which variable would set it. */
function envHint(path: string): string | undefined {
  const name = Object.entries(ENV_KEYS).find(([, [p]]) => p === path)?.[0];
  return name ? `not set; set ${name}` : undefined;
}
