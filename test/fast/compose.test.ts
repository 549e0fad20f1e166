import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, DEFAULT_WORKER_HTTP_PORT } from '../../agent/config/schema.js';
import { DEFAULT_AGENT_NAME } from '../../contracts/agent-name.js';
import { Regions } from '../../placement/index.js';
import { type Compose, mountedAt, serviceEnv } from '../support/compose-file.js';
import { composeRegionConfigs, k8sRegions, type LivekitConfig } from '../support/livekit-config.js';
import { listRepoFiles as listFiles, repoYaml as read, REPO_ROOT as root, repoText as text } from '../support/repo-files.js';

/**
 * docker-compose.yml and docker-compose.regions.yml cannot be run here (no Docker engine), nor can
 * infra/k8s be applied: what can be checked offline is that their services agree with each other
 * and with the configs they mount, and that the deployment defaults hold (keys overridable,
 * restarts, stop grace, loopback). The image: dockerfile.test.ts and dockerignore.test.ts;
 * livekit-server's configs: livekit-configs.test.ts; the manifests' schemas: infra/k8s/validate.sh.
 */
interface RegionsFile {
  regions: { name: string; livekitUrl: string; apiUrl?: string; agentName: string; clientNetworks?: string[] }[];
  roundTripMs?: Record<string, Record<string, number>>;
}
const compose = read('docker-compose.yml') as Compose;
/** The environment a service's container gets, with the variables of the shell (or .env) `env`. */
const containerEnv = (service: string, env: Record<string, string> = {}, file: Compose = compose) =>
  serviceEnv(file.services[service]!, env);
const regionsCompose = read('docker-compose.regions.yml') as Compose;
const livekit = read('infra/livekit/livekit.yaml') as LivekitConfig;
const sip = read('infra/sip/sip.yaml') as Record<string, unknown> & { redis: { address: string } };

/** The worker's drain timeout when AGENT_DRAIN_TIMEOUT_MS leaves it at its default (or sets it). */
function drainMsOf(env: Record<string, string | undefined> = {}): number {
  const set = env.AGENT_DRAIN_TIMEOUT_MS;
  if (set !== undefined) return Number(set);
  return configSchema.parse({ livekit: { url: 'ws://127.0.0.1:7880', apiKey: 'k', apiSecret: 's' } }).worker.drainTimeoutMs;
}

/** A Go duration as compose takes it (`31m`, `1h30m`, `90s`), in ms; docker's default is 10 s. */
function durationMs(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  expect(parts.map((p) => p[0]).join(''), `not a duration: ${value}`).toBe(value);
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u!]!, 0);
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
      for (const client of ['agent', 'sip', 'placement']) {
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
    const drainMs = drainMsOf(containerEnv('agent'));
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

  it('builds each service from its target of the one Dockerfile', () => {
    expect(compose.services.agent!.build).toMatchObject({ dockerfile: 'infra/docker/Dockerfile', target: 'worker' });
    expect(compose.services['local-providers']!.build).toMatchObject({ dockerfile: 'infra/docker/Dockerfile', target: 'local-providers' });
    expect(compose.services.placement!.build).toMatchObject({ dockerfile: 'infra/docker/Dockerfile', target: 'placement' });
  });

  it("runs the placement service for the stack's one region, on loopback", () => {
    const placement = compose.services.placement!;
    const env = containerEnv('placement');
    expect(placement.network_mode).toBe('host');
    if (env.WEB_HOST !== undefined) expect(isLoopback(env.WEB_HOST), `WEB_HOST ${env.WEB_HOST}`).toBe(true);
    // It reads the pools' heartbeats where the worker writes them.
    expect(env.REDIS_URL).toBe(containerEnv('agent').REDIS_URL);
    const file = mountedAt(placement, env.PLACEMENT_REGIONS!);
    expect(file, `nothing mounted at PLACEMENT_REGIONS ${env.PLACEMENT_REGIONS}`).toBeDefined();
    const { regions } = read(file!) as RegionsFile;
    const agent = containerEnv('agent');
    expect(regions).toEqual([
      expect.objectContaining({
        name: agent.AGENT_REGION,
        livekitUrl: `ws://127.0.0.1:${livekit.port}`,
        agentName: agent.AGENT_NAME ?? DEFAULT_AGENT_NAME,
      }),
    ]);
  });
});

describe('docker-compose.regions.yml', () => {
  const services = regionsCompose.services;
  const env = (name: string, vars: Record<string, string> = {}) => containerEnv(name, vars, regionsCompose);
  const nodes = Object.entries(services)
    .filter(([, s]) => s.image?.startsWith('livekit/livekit-server:'))
    .map(([name, s]) => {
      const path = mountedAt(s, '/etc/livekit.yaml');
      return { name, service: s, path, config: read(path!) as LivekitConfig };
    });
  const pools = Object.entries(services)
    .filter(([, s]) => s.build?.target === 'worker')
    .map(([name]) => ({ name, env: env(name) }));
  const redisPort = services.redis!.command![services.redis!.command!.indexOf('--port') + 1];

  it('mounts only files that exist, restarts every service, documents every variable in .env.example', () => {
    const documented = new Set([...text('.env.example').matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!));
    const used = new Set([...text('docker-compose.regions.yml').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart ?? 'no', name).toMatch(/^(always|unless-stopped|on-failure(:\d+)?)$/);
      expect(service.network_mode, name).toBe('host');
      for (const volume of service.volumes ?? []) {
        const host = volume.split(':')[0]!;
        if (host.startsWith('./')) expect(existsSync(`${root}/${host}`), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('runs one livekit-server node per region from infra/livekit/regions, on loopback and on ports of its own', () => {
    expect(nodes.map((n) => n.path).sort()).toEqual(composeRegionConfigs());
    expect(nodes.map((n) => n.service.image)).toEqual(nodes.map(() => compose.services.livekit!.image));
    for (const { name, path, config } of nodes) {
      expect(path).toBe(`infra/livekit/regions/${config.region}.yaml`);
      expect(name).toBe(`livekit-${config.region}`);
      expect(config.redis.address).toBe(`127.0.0.1:${redisPort}`);
      // As infra/livekit/livekit.yaml: loopback only, ICE/TCP off, no STUN.
      for (const address of config.bind_addresses) expect(isLoopback(address), `${path}: ${address}`).toBe(true);
      expect(config.rtc.tcp_port, path).toBe(0);
      expect(config.rtc.interfaces?.includes?.length, path).toBeGreaterThan(0);
      for (const i of config.rtc.interfaces!.includes!) expect(['lo', 'veth0'], path).toContain(i);
      expect(config.rtc.use_external_ip, path).toBe(false);
      expect(isLoopback(config.rtc.node_ip), path).toBe(true);
    }
    const ports = nodes.flatMap(({ config }) => [config.port, config.rtc.udp_port]);
    expect(new Set(ports).size, `ports ${ports.join(', ')}`).toBe(ports.length);
  });

  it('gives every node and client the one key pair from variables', () => {
    const vars = { LIVEKIT_API_KEY: 'key-from-env', LIVEKIT_API_SECRET: 'secret-from-env' };
    for (const { name } of nodes) expect(parse(env(name, vars).LIVEKIT_KEYS ?? ''), name).toEqual({ 'key-from-env': 'secret-from-env' });
    for (const name of [...pools.map((p) => p.name), 'placement']) {
      expect(env(name, vars), name).toMatchObject(vars);
      expect(env(name), name).toMatchObject({ LIVEKIT_API_KEY: Object.keys(livekit.keys)[0] });
    }
  });

  it("runs a worker pool per region, named for it, on its region's node", () => {
    expect(pools.map((p) => p.env.AGENT_REGION).sort()).toEqual(nodes.map((n) => n.config.region).sort());
    for (const { name, env: e } of pools) {
      const node = nodes.find((n) => n.config.region === e.AGENT_REGION)!;
      expect(e.AGENT_NAME, name).toBe(`voice-agent-${e.AGENT_REGION}`);
      expect(e.LIVEKIT_URL, name).toBe(`ws://127.0.0.1:${node.config.port}`);
      expect(e.REDIS_URL, name).toBe(`redis://127.0.0.1:${redisPort}`);
      expect(Number(e.AGENT_MAX_CONCURRENT_CALLS), name).toBeGreaterThan(0);
      if (e.AGENT_HTTP_HOST !== undefined) expect(isLoopback(e.AGENT_HTTP_HOST), name).toBe(true);
      expect(durationMs(services[name]!.stop_grace_period), name).toBeGreaterThan(drainMsOf(e));
    }
    // One host: each pool's health and metrics port is its own.
    const httpPorts = pools.map((p) => Number(p.env.AGENT_HTTP_PORT ?? DEFAULT_WORKER_HTTP_PORT));
    expect(new Set(httpPorts).size).toBe(httpPorts.length);
    expect(httpPorts).toContain(DEFAULT_WORKER_HTTP_PORT);
  });

  it('gives the placement service every region, as the pools and nodes have them', () => {
    const e = env('placement');
    if (e.WEB_HOST !== undefined) expect(isLoopback(e.WEB_HOST)).toBe(true);
    expect(e.REDIS_URL).toBe(`redis://127.0.0.1:${redisPort}`);
    const file = mountedAt(services.placement!, e.PLACEMENT_REGIONS!);
    expect(file).toBe('infra/placement/regions.local.yaml');
    const { regions, roundTripMs } = read(file!) as RegionsFile;
    expect(regions.map((r) => r.name).sort()).toEqual(pools.map((p) => p.env.AGENT_REGION).sort());
    for (const region of regions) {
      const pool = pools.find((p) => p.env.AGENT_REGION === region.name)!;
      expect(region.agentName, region.name).toBe(pool.env.AGENT_NAME);
      expect(region.livekitUrl, region.name).toBe(pool.env.LIVEKIT_URL);
    }
    expectRoundTrips(regions, roundTripMs);
  });
});

describe('placement regions files', () => {
  it('are each accepted by the placement service', () => {
    const files = [...listFiles('infra/placement', /\.yaml$/), 'infra/k8s/base/regions.yaml'];
    expect(files).toContain('infra/placement/regions.local.yaml');
    for (const file of files) expect(() => Regions.read(`${root}/${file}`), file).not.toThrow();
  });
});

/** roundTripMs names known regions only, with positive times, and relates every pair of regions one way or the other. */
function expectRoundTrips(regions: RegionsFile['regions'], roundTripMs: RegionsFile['roundTripMs']): void {
  const names = regions.map((r) => r.name);
  const pairs = Object.entries(roundTripMs ?? {}).flatMap(([a, row]) => Object.entries(row).map(([b, ms]) => ({ a, b, ms })));
  for (const { a, b, ms } of pairs) {
    expect(names, `roundTripMs ${a}`).toContain(a);
    expect(names, `roundTripMs ${a}.${b}`).toContain(b);
    expect(ms).toBeGreaterThan(0);
  }
  for (const a of names) {
    for (const b of names) {
      if (a < b)
        expect(
          pairs.some((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a)),
          `roundTripMs ${a} <-> ${b}`,
        ).toBe(true);
    }
  }
  for (const r of regions) for (const cidr of r.clientNetworks ?? []) expect(cidr, r.name).toMatch(/^[\d.]+\/\d+$|^[\da-f:]+\/\d+$/i);
}

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & {
    template?: { spec: { terminationGracePeriodSeconds?: number; securityContext?: { runAsNonRoot?: boolean }; containers: Container[] } };
  };
}
const manifests = (path: string) => parseAllDocuments(text(path)).map((d) => d.toJS() as Manifest);
/** A container's plain environment values (not those from Secrets). */
const envOf = (c: Container): Record<string, string> =>
  Object.fromEntries((c.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as const])));

describe('infra/k8s', () => {
  const worker = manifests('infra/k8s/base/worker.yaml').find((m) => m.kind === 'Deployment')!;
  const workerContainer = worker.spec.template!.spec.containers[0]!;
  const workerEnv = envOf(workerContainer);

  it('has an overlay per region of the placement regions file, each naming its pool after the region', () => {
    const { regions, roundTripMs } = read('infra/k8s/base/regions.yaml') as RegionsFile;
    expect(regions.map((r) => r.name).sort()).toEqual(k8sRegions());
    expectRoundTrips(regions, roundTripMs);
    for (const region of regions) {
      expect(region.agentName).toBe(`voice-agent-${region.name}`);
      const overlay = text(`infra/k8s/overlays/${region.name}/kustomization.yaml`);
      const kustomization = parse(overlay) as { namePrefix: string; patches: { patch: string }[] };
      expect(kustomization.namePrefix).toBe(`${region.name}-`);
      const patched = kustomization.patches.map((p) => parse(p.patch) as Manifest).find((m) => m.metadata.name === 'voice-agent-worker')!;
      const lk = read(`infra/k8s/overlays/${region.name}/livekit.yaml`) as LivekitConfig;
      expect(envOf(patched.spec.template!.spec.containers[0]!)).toEqual({
        AGENT_REGION: region.name,
        AGENT_NAME: region.agentName,
        // The Service `livekit` of infra/k8s/livekit, with the overlay's name prefix.
        LIVEKIT_URL: `ws://${region.name}-livekit:${lk.port}`,
      });
      expect(lk.region).toBe(region.name);
    }
    const livekitService = manifests('infra/k8s/livekit/livekit-server.yaml').find((m) => m.kind === 'Service');
    expect(livekitService?.metadata.name).toBe('livekit');
  });

  it("gives a worker longer to stop than its drain, and probes its health port's GET /", () => {
    const graceMs = worker.spec.template!.spec.terminationGracePeriodSeconds! * 1000;
    expect(graceMs).toBeGreaterThan(drainMsOf(workerEnv));
    const port = Number(workerEnv.AGENT_HTTP_PORT ?? DEFAULT_WORKER_HTTP_PORT);
    expect(workerContainer.ports?.map((p) => p.containerPort)).toContain(port);
    expect(workerEnv.AGENT_HTTP_HOST).toBe('0.0.0.0');
    for (const probe of [workerContainer.livenessProbe, workerContainer.readinessProbe]) {
      expect(probe?.httpGet?.path).toBe('/');
      expect([port, 'http']).toContain(probe?.httpGet?.port);
    }
    expect(worker.spec.template!.spec.securityContext?.runAsNonRoot).toBe(true);
    expect(workerContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    // Keys come from a Secret reference, never a value in the manifests.
    const secretRefs = (workerContainer.env ?? []).filter((e) => /KEY|SECRET/.test(e.name));
    expect(secretRefs.every((e) => e.value === undefined && e.valueFrom?.secretKeyRef)).toBe(true);
    expect(secretRefs.find((e) => e.name === 'LIVEKIT_API_SECRET')?.valueFrom?.secretKeyRef).toEqual({
      name: 'livekit-api',
      key: 'api-secret',
    });
  });

  it('scales on calls in progress, below the per-worker maximum, with scale-down as slow as a drain', () => {
    const hpa = manifests('infra/k8s/base/worker-hpa.yaml')[0]!.spec as unknown as {
      scaleTargetRef: { name: string };
      metrics: { type: string; pods?: { metric: { name: string }; target: { averageValue: string } } }[];
      behavior: { scaleDown: { stabilizationWindowSeconds: number } };
    };
    expect(hpa.scaleTargetRef.name).toBe(worker.metadata.name);
    const metric = hpa.metrics.find((m) => m.type === 'Pods')!.pods!;
    expect(metric.metric.name).toBe('voice_agent_active_calls');
    expect(Number(metric.target.averageValue)).toBeLessThan(Number(workerEnv.AGENT_MAX_CONCURRENT_CALLS));
    expect(hpa.behavior.scaleDown.stabilizationWindowSeconds * 1000).toBeGreaterThanOrEqual(drainMsOf(workerEnv));
    // prometheus-adapter serves that metric.
    const adapter = manifests('infra/k8s/monitoring/prometheus-adapter.yaml')[0] as unknown as { data: Record<string, string> };
    const rules = parse(adapter.data['config.yaml']!) as { rules: { name: { as: string } }[] };
    expect(rules.rules.map((r) => r.name.as)).toContain(metric.metric.name);
  });
});
