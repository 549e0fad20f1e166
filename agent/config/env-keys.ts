import { z } from 'zod';
import { isSecretKey } from './config-secrets.js';
import { configSchema, ENV_DESCRIPTION_PREFIX } from './schema.js';

export type ValueKind = 'string' | 'number' | 'boolean';

/**
 * Environment variables and the config keys they set, read from the schema, where each key names
 * its own (`.describe(env(...))`); a number or boolean key's value is parsed as one. Environment
 * wins over the config file.
 */
export const ENV_KEYS: Readonly<Record<string, readonly [path: string, kind: ValueKind]>> = Object.fromEntries(envKeysOf(configSchema));

function* envKeysOf(schema: z.ZodTypeAny, path: readonly string[] = []): Generator<[string, readonly [string, ValueKind]]> {
  let node = schema;
  let description = node.description;
  // Defaults, optionals and refinements wrap the key's type; the description may sit on any of them.
  for (;;) {
    if (node instanceof z.ZodDefault) node = node.removeDefault();
    else if (node instanceof z.ZodOptional) node = node.unwrap();
    else if (node instanceof z.ZodEffects) node = node.innerType();
    else break;
    description ??= node.description;
  }
  if (node instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(node.shape as z.ZodRawShape)) yield* envKeysOf(field, [...path, key]);
    return;
  }
  if (!description?.startsWith(ENV_DESCRIPTION_PREFIX)) return;
  const kind: ValueKind = node instanceof z.ZodNumber ? 'number' : node instanceof z.ZodBoolean ? 'boolean' : 'string';
  for (const name of description.slice(ENV_DESCRIPTION_PREFIX.length).split(',')) yield [name, [path.join('.'), kind]];
}

/** The file named by this variable (YAML or JSON) is read first; the environment overrides it. */
export const CONFIG_FILE_ENV = 'AGENT_CONFIG';

/** Vendor keys used when a stage selects that vendor and sets no key of its own. */
export const VENDOR_KEYS: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  cartesia: 'CARTESIA_API_KEY',
};

/** The variables that hold credentials: those setting a secret key, and the vendors' keys. */
export const SECRET_ENV_NAMES = [
  ...Object.entries(ENV_KEYS)
    .filter(([, [path]]) => isSecretKey(path))
    .map(([name]) => name),
  ...Object.values(VENDOR_KEYS),
];

/** An environment value as its key's kind: numbers and booleans parsed, anything else left for the schema to name. */
export function coerce(value: string, kind: ValueKind): unknown {
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

/** For a key that nobody set, say which variable would set it. */
export function envHint(path: string): string | undefined {
  const name = Object.entries(ENV_KEYS).find(([, [p]]) => p === path)?.[0];
  return name ? `not set; set ${name}` : undefined;
}
