import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { ZodIssue } from 'zod';
import { quotable, SECRET_KEY_AND_WORD, SECRET_KEY_IN_TEXT, type SecretSpan, SecretValues, secretSpans } from './config-secrets.js';
import { CONFIG_FILE_ENV, coerce, ENV_KEYS, envHint, SECRET_ENV_NAMES, VENDOR_KEYS } from './env-keys.js';
import { type AgentConfig, configSchema } from './schema.js';

/** A configuration the worker cannot start with; the message names every offending key and where it came from. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
