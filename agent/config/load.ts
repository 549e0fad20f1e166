import { readFileSync } from 'node:fs';
import type { ZodIssue } from 'zod';
import { quotable, SecretValues } from './config-secrets.js';
import { ConfigTextError, parseConfigText } from './config-text.js';
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
  let value: unknown;
  try {
    value = parseConfigText(text, secrets, `${CONFIG_FILE_ENV}: config file ${path} is not valid YAML/JSON`);
  } catch (e) {
    if (e instanceof ConfigTextError) throw new ConfigError(e.message);
    throw e;
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${CONFIG_FILE_ENV}: config file ${path} must hold a mapping of sections`);
  }
  return value as Raw;
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
