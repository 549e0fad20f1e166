import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { CONFIG_FILE_ENV, ENV_KEYS } from '../../agent/config/env-keys.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { type AgentConfig, MAX_TIMER_MS } from '../../agent/config/schema.js';

/** Fixed, so that a failure replays as found; the runs are bounded to keep the file to seconds. */
const SEED = 1105;
const RUNS = 300;

const VENDOR_KEY_ENV = ['OPENAI_API_KEY', 'CARTESIA_API_KEY'];
const ENV_NAMES = [...Object.keys(ENV_KEYS), ...VENDOR_KEY_ENV];
const SECRET_ENV = ['LIVEKIT_API_SECRET', 'LIVEKIT_API_KEY', 'STT_API_KEY', 'LLM_API_KEY', 'TTS_API_KEY', ...VENDOR_KEY_ENV];
const CONFIG_PATHS = Object.values(ENV_KEYS).map(([path]) => path);
const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' };

/** A credential distinctive enough that any run of {@link LEAK_LENGTH} of its characters in a message is a leak. */
const secretArb = fc
  .string({ unit: fc.constantFrom(...'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'), minLength: 14, maxLength: 40 })
  .map((s) => `S3CR3T${s}`);
const LEAK_LENGTH = 10;

/** What a careless or hostile hand puts in a setting. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer().map(String),
  fc.integer({ min: -10, max: 70_000 }).map(String),
  fc.constantFrom(0, 1, 9, 10, 99, 100, 3000, 30_000, 30_001, 600_000, 600_001, 2 ** 31 - 1, 2 ** 31, 2 ** 32).map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.webUrl(),
  fc.constantFrom(
    ...['', ' ', '\t\n', 'NaN', 'Infinity', '-Infinity', '1e400', '-1', '0', '-0', '0x7fffffff', ' 12 ', '1_000', '1.5', '1e3'],
    ...['2147483647', '2147483648', '3000000000', '5000000000', 'true', 'off', 'null', '__proto__', 'constructor'],
    ...['ws://', 'http://', 'ws://:7880', 'file:///etc/passwd', 'javascript:alert(1)', 'http://127.0.0.1:8788', 'wss://x.livekit.cloud'],
    ...['::', '0.0.0.0', '127.0.0.1', '::1', 'localhost', 'tel:+15550100999', 'openai', 'cartesia', 'local', 'vad', 'model', 'agent'],
  ),
);
const hostileValue = fc.oneof(hostileText, fc.jsonValue({ maxDepth: 1 }), fc.double(), fc.constantFrom(2 ** 31, 3e9, 5e9, -1, 0, 1e300));

/** Text that breaks YAML or JSON, inserted here and there. */
const breakage = fc.oneof(
  fc.constantFrom('"', "'", ':', ': ', '{', '}', '[', ']', '\n', '\n  ', '  ', '\t', '- ', '? ', '!', '!!str ', '&a ', '*a', '|', '>', '#'),
  fc.constantFrom('%', '@', '`', '\\', ',', '---\n', '...\n', '<<: ', 'provider: >\n    ', '"\\q', 'apiKey: ', 'livekit:\n  ', '\ufeff'),
  fc.string({ maxLength: 8 }),
);

/** Whatever the loader (or the YAML parser under it) prints: it must not be the secret either. */
const printed: MockInstance[] = [];

/** The loader's two outcomes: a configuration Node and the providers can act on, or one clear ConfigError without the secret. */
function expectConfigOrClearError(env: NodeJS.ProcessEnv, secret: string): void {
  let cfg: AgentConfig | undefined;
  let error: unknown;
  try {
    cfg = loadConfig(env);
  } catch (e) {
    error = e;
  }
  expectNothingPrintedWith(secret);
  if (cfg) return expectHonourable(cfg);
  expect(error).toBeInstanceOf(ConfigError);
  const { message } = error as Error;
  // One message: a line per offending key, or one line about the file.
  const [first, ...issues] = message.split('\n');
  if (first === 'invalid configuration:') for (const issue of issues) expect(issue).toMatch(/^ {2}\S[^\n]*: \S/);
  else expect(message).toMatch(new RegExp(`^${CONFIG_FILE_ENV}: [^\n]+$`));
  expect(message).not.toContain('[object Object]');
  expect(leakIn(message, secret)).toBeUndefined();
}

function expectNothingPrintedWith(secret: string): void {
  for (const spy of printed) {
    expect(leakIn(spy.mock.calls.map((args) => args.map(String).join(' ')).join('\n'), secret)).toBeUndefined();
    spy.mockClear();
  }
}

function leakIn(message: string, secret: string): string | undefined {
  for (let i = 0; i + LEAK_LENGTH <= secret.length; i++) {
    const run = secret.slice(i, i + LEAK_LENGTH);
    if (message.includes(run)) return run;
  }
  return undefined;
}

function expectHonourable(cfg: AgentConfig): void {
  for (const [path, value] of leaves(cfg, '')) {
    if (!path.endsWith('Ms')) continue;
    expect(Number.isInteger(value), path).toBe(true);
    expect(value as number, path).toBeGreaterThanOrEqual(0);
    expect(value as number, path).toBeLessThanOrEqual(MAX_TIMER_MS);
  }
  const { turn, providerRequests: requests, worker, livekit } = cfg;
  // Sums and back-offs made of them are timers too: the longest endpointing wait, the STT's longest back-off.
  expect(
    Math.max(turn.unfinishedDelayMs, turn.minEndpointingDelayMs, turn.maxEndpointingDelayMs) + turn.phoneExtraDelayMs,
  ).toBeLessThanOrEqual(MAX_TIMER_MS);
  expect(requests.retryIntervalMs).toBeGreaterThan(0);
  expect(requests.retryIntervalMs * 8).toBeLessThanOrEqual(MAX_TIMER_MS);
  expect(() => AbortSignal.timeout(requests.timeoutMs)).not.toThrow();
  expectUrl(livekit.url, ['ws:', 'wss:', 'http:', 'https:']);
  for (const url of [cfg.localProviders.url, cfg.stt.baseUrl, cfg.llm.baseUrl, cfg.tts.baseUrl])
    if (url !== undefined) expectUrl(url, ['http:', 'https:']);
  for (const credential of [livekit.apiKey, livekit.apiSecret, cfg.stt.apiKey, cfg.llm.apiKey, cfg.tts.apiKey]) {
    if (credential === undefined) continue;
    expect(credential).not.toBe('');
    expect(credential.trim()).toBe(credential);
  }
  expect(isIP(worker.httpHost)).not.toBe(0);
  expect(Number.isInteger(worker.httpPort) && worker.httpPort >= 1 && worker.httpPort <= 65535).toBe(true);
}

function expectUrl(url: string, protocols: string[]): void {
  const parsed = new URL(url);
  expect(protocols).toContain(parsed.protocol);
  expect(parsed.hostname).not.toBe('');
}

function* leaves(node: unknown, path: string): Generator<[string, unknown]> {
  if (typeof node !== 'object' || node === null) return yield [path, node];
  for (const [key, value] of Object.entries(node)) yield* leaves(value, path ? `${path}.${key}` : key);
}

function withPaths(pairs: [string, unknown][]): Record<string, Record<string, unknown>> {
  const doc: Record<string, Record<string, unknown>> = {};
  for (const [path, value] of pairs) {
    const [section, key] = path.split('.') as [string, string];
    (doc[section] ??= {})[key] = value;
  }
  return doc;
}

/** `text` with `insertions` made at their offsets, none inside [from, to): the secret's key and value stay whole. */
function insertOutside(text: string, from: number, to: number, insertions: [number, string][]): string {
  const at = insertions.map(([n, snippet]): [number, string] => {
    const offset = n % (text.length + 1);
    return [offset > from && offset < to ? (n % 2 ? from : to) : offset, snippet];
  });
  let out = text;
  for (const [offset, snippet] of at.sort((a, b) => b[0] - a[0])) out = out.slice(0, offset) + snippet + out.slice(offset);
  return out;
}

describe('the config loader, given malformed values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-fuzz-'));
  const file = join(dir, 'agent.yaml');
  beforeAll(() => {
    printed.push(...(['log', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => {})));
    printed.push(vi.spyOn(process, 'emitWarning').mockImplementation(() => {}));
  });
  afterAll(() => {
    for (const spy of printed.splice(0)) spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('from the environment: a configuration within bounds, or one ConfigError that does not show the secret', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.constantFrom(...SECRET_ENV),
        fc.uniqueArray(fc.tuple(fc.constantFrom(...ENV_NAMES), hostileText), { selector: ([name]) => name, maxLength: 4 }),
        fc.option(fc.constantFrom(...ENV_NAMES), { nil: undefined }),
        (secret, home, settings, pastedInto) => {
          const env: NodeJS.ProcessEnv = { ...LIVEKIT, ...Object.fromEntries(settings) };
          if (pastedInto) env[pastedInto] = secret; // a credential pasted into the wrong variable too
          env[home] = secret;
          expectConfigOrClearError(env, secret);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('from a YAML or JSON file, broken around its apiSecret: the same', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.uniqueArray(fc.tuple(fc.constantFrom(...CONFIG_PATHS), hostileValue), { selector: ([path]) => path, maxLength: 6 }),
        fc.constantFrom('yaml', 'flow yaml', 'json', 'json on one line'),
        fc.array(fc.tuple(fc.nat(), breakage), { maxLength: 3 }),
        (secret, settings, format, insertions) => {
          const doc = withPaths(settings);
          doc.livekit = { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', ...doc.livekit, apiSecret: secret };
          const text =
            format === 'yaml'
              ? toYaml(doc)
              : format === 'flow yaml'
                ? toYaml(doc, { collectionStyle: 'flow' })
                : JSON.stringify(doc, null, format === 'json' ? 2 : undefined);
          const from = text.indexOf('apiSecret');
          writeFileSync(file, insertOutside(text, from, text.indexOf(secret) + secret.length + 1, insertions));
          expectConfigOrClearError({ [CONFIG_FILE_ENV]: file }, secret);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('from a file of YAML-ish debris around a secret line: the same', () => {
    const debris = fc.oneof(
      breakage,
      fc.constantFrom('livekit:', 'stt:', 'turn:', 'url: ws://x', 'provider: openai', 'drainTimeoutMs: 3e9', 'x: 1'),
    );
    const secretLine = (secret: string) =>
      fc.constantFrom(
        `apiSecret: ${secret}`,
        `"apiSecret": "${secret}"`,
        `{apiSecret: ${secret}}`,
        `apiSecret: '${secret}'`,
        `apiSecret: |\n    ${secret}`,
        `apiSecret:\n    ${secret}`,
        `password: ${secret}`,
        `token: "${secret}`,
      );
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), secretLine(secret))),
        fc.array(debris, { maxLength: 10 }),
        fc.array(debris, { maxLength: 10 }),
        fc.constantFrom('', '  ', '    '),
        ([secret, line], before, after, indent) => {
          writeFileSync(file, `${before.join('')}\n${indent}${line}\n${after.join('')}`);
          expectConfigOrClearError({ ...LIVEKIT, [CONFIG_FILE_ENV]: file }, secret);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
