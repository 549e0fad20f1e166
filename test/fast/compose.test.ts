import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_HTTP_PORT, configSchema } from '../../agent/config/schema.js';

/**
 * docker-compose.yml cannot be run here (no Docker engine): what can be checked offline is that
 * its services agree with each other and with the configs they mount, and that the deployment
 * defaults hold (keys overridable, restarts, stop grace, loopback, what the image leaves out).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const text = (path: string) => readFileSync(`${root}/${path}`, 'utf8');
// Merge keys on: docker-compose.yml shares environment blocks with `<<: *anchor`, as compose reads them.
const read = (path: string) => parse(text(path), { merge: true });

interface Service {
  volumes?: string[];
  command?: string[];
  depends_on?: unknown;
  network_mode?: string;
  restart?: string;
  stop_grace_period?: string;
  environment?: Record<string, string>;
}
const compose = read('docker-compose.yml') as { services: Record<string, Service> };
const livekit = read('infra/livekit/livekit.yaml') as {
  port: number;
  bind_addresses: string[];
  keys: Record<string, string>;
  redis: { address: string };
  rtc: { tcp_port?: number; interfaces?: { includes?: string[] }; use_external_ip: boolean; node_ip: string };
};
const sip = read('infra/sip/sip.yaml') as Record<string, unknown> & { redis: { address: string } };

/** Compose's variable substitution, for the forms docker-compose.yml uses: `${NAME}`, `${NAME:-default}`, `${NAME-default}`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g, (_, name: string, colon: string, fallback?: string) => {
    const set = env[name];
    if (fallback === undefined) return set ?? '';
    return set === undefined || (colon === ':' && set === '') ? fallback : set;
  });
}

/** The environment a service's container gets, with the variables of the shell (or .env) `env`. */
function containerEnv(service: string, env: Record<string, string> = {}): Record<string, string> {
  const raw = compose.services[service]!.environment ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), env)]));
}

/** A Go duration as compose takes it (`31m`, `1h30m`, `90s`), in ms; docker's default is 10 s. */
function durationMs(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  expect(parts.map((p) => p[0]).join(''), `not a duration: ${value}`).toBe(value);
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u!]!, 0);
}

/** Whether a path of the build context is left out by these .dockerignore rules (Docker's matching: last rule wins, a directory takes its contents). */
function ignoredBy(rules: string): (path: string) => boolean {
  const patterns = rules
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keep: line.startsWith('!'), re: globToRegExp(line.replace(/^!/, '').replace(/^\/+/, '')) }));
  return (path) => {
    const selfAndParents = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const { keep, re } of patterns) if (selfAndParents.some((p) => re.test(p))) ignored = !keep;
    return ignored;
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1';

describe('docker-compose.yml', () => {
  it('mounts only files that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const host = volume.split(':')[0]!;
        if (host.startsWith('./')) expect(existsSync(`${root}/${host}`), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('runs Redis where livekit-server and livekit-sip look for it', () => {
    const port = compose.services.redis!.command![compose.services.redis!.command!.indexOf('--port') + 1];
    expect(livekit.redis.address).toBe(`127.0.0.1:${port}`);
    expect(sip.redis.address).toBe(livekit.redis.address);
  });

  it('gives livekit-sip the server and addresses it needs, on loopback', () => {
    expect(compose.services.sip!.volumes).toContain('./infra/sip/sip.yaml:/sip/config.yaml:ro');
    expect(sip).toMatchObject({ ws_url: `ws://127.0.0.1:${livekit.port}`, listen_ip: '127.0.0.1', nat_1_to_1_ip: '127.0.0.1' });
    // Its health port must not take the agent worker's.
    expect(sip.health_port).not.toBe(DEFAULT_WORKER_HTTP_PORT);
    expect(String(sip.rtp_port)).toMatch(/^\d+-\d+$/);
  });

  it('takes the LiveKit key pair from variables, the same for every service, the dev pair when unset', () => {
    const [devKey, devSecret] = Object.entries(livekit.keys)[0]!;
    const override = { LIVEKIT_API_KEY: 'key-from-env', LIVEKIT_API_SECRET: 'secret-from-env' };
    for (const [env, key, secret] of [
      [{}, devKey, devSecret],
      [override, override.LIVEKIT_API_KEY, override.LIVEKIT_API_SECRET],
    ] as const) {
      // livekit-server: LIVEKIT_KEYS ("key: secret") replaces the keys of its config file.
      expect(parse(containerEnv('livekit', env).LIVEKIT_KEYS ?? '')).toEqual({ [key]: secret });
      for (const client of ['agent', 'sip']) {
        expect(containerEnv(client, env), client).toMatchObject({ LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret });
      }
    }
    // livekit-sip prefers its config file to the environment: a pair there would win over the override.
    expect(sip).not.toHaveProperty('api_key');
    expect(sip).not.toHaveProperty('api_secret');
  });

  it('documents in .env.example every variable it reads', () => {
    const read = new Set([...text('docker-compose.yml').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    const documented = new Set([...text('.env.example').matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect(read).toContain('LIVEKIT_API_KEY');
  });

  it('restarts every service that exits', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.restart ?? 'no', name).toMatch(/^(always|unless-stopped|on-failure(:\d+)?)$/);
    }
  });

  it("waits longer for the worker (and the phone leg) to stop than the worker's drain", () => {
    const drainMs = configSchema.parse({ livekit: { url: 'ws://127.0.0.1:7880', apiKey: 'k', apiSecret: 's' } }).worker.drainTimeoutMs;
    for (const name of ['agent', 'sip']) {
      expect(durationMs(compose.services[name]!.stop_grace_period), name).toBeGreaterThan(drainMs);
    }
  });

  it("keeps the worker's HTTP port on loopback under host networking", () => {
    // Host networking: 0.0.0.0 in the container is every interface of the host.
    expect(compose.services.agent!.network_mode).toBe('host');
    const host = containerEnv('agent').AGENT_HTTP_HOST;
    if (host !== undefined) expect(isLoopback(host), `AGENT_HTTP_HOST ${host}`).toBe(true);
  });
});

describe('infra/livekit/livekit.yaml', () => {
  it('listens on loopback only (and on the test namespace veth, which exists only there)', () => {
    expect(livekit.bind_addresses.length).toBeGreaterThan(0);
    for (const address of livekit.bind_addresses) expect(isLoopback(address), address).toBe(true);
    // ICE/TCP listens on every interface whatever else is set: it must be off.
    expect(livekit.rtc.tcp_port).toBe(0);
    // The UDP media port is opened on every interface unless an allowlist names them.
    const veth = /link add (\S+) type veth/.exec(text('harness/netns/run-in-netns.sh'))?.[1];
    expect(veth).toBeDefined();
    expect(livekit.rtc.interfaces?.includes?.length).toBeGreaterThan(0);
    for (const name of livekit.rtc.interfaces!.includes!) expect(['lo', veth]).toContain(name);
    expect(livekit.rtc).toMatchObject({ use_external_ip: false });
    expect(isLoopback(livekit.rtc.node_ip)).toBe(true);
    // docker-compose.yml mounts this file: only host networking keeps its loopback the host's.
    expect(compose.services.livekit!.volumes).toContain('./infra/livekit/livekit.yaml:/etc/livekit.yaml:ro');
    expect(compose.services.livekit!.network_mode).toBe('host');
  });
});

describe('.dockerignore', () => {
  const ignored = ignoredBy(text('.dockerignore'));

  it('keeps secrets, local state and what the image builds itself out of the build context', () => {
    const leaked = [
      '.env',
      '.env.local',
      'infra/.env.production',
      'infra/tls/server.pem',
      'secrets/livekit.key',
      'node_modules/yaml/package.json',
      '.git/config',
      'dist/agent/main.js',
      '.tools/bin/livekit-server',
      '.run/test-logs/conversation/worker.log',
      'npm-debug.log',
    ].filter((path) => !ignored(path));
    expect(leaked).toEqual([]);
  });

  it('sends what infra/docker/Dockerfile builds from', () => {
    const needed = ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.build.json', 'harness/speech/native/ps_server.c', 'agent/main.ts'];
    for (const path of needed) expect(existsSync(`${root}/${path}`), path).toBe(true);
    expect(needed.filter(ignored)).toEqual([]);
  });
});
