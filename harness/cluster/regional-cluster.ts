import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { regionalAgentName } from '../../contracts/agent-name.js';
import { Placement, type PlacementOptions, Regions } from '../../placement/index.js';
import { LATENCY_PROFILE_NAMES, type LatencyProfileName } from '../local-providers/index.js';
import { HUB_ADDRESS, type RegionLink, RegionNetwork } from '../netns/region-network.js';
import { startChildProcess } from '../stack/child-process.js';
import { localLivekitEndpoint, type RegionLocation, type RunningLivekitServer, startLivekitServer } from '../stack/livekit-server.js';
import { type StackWorker, stackWorker } from '../stack/local-stack.js';
import { type RunningRedis, startRedis } from '../stack/redis.js';
import { startWorkerProcess } from '../stack/worker-process.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_PORT = 6390;
/** Every region's namespace has its own ports: the same numbers in each. */
const LIVEKIT_PORT = 7880;
const PROVIDERS_PORT = 8788;
/** Callers ↔ their own region, one way: a metro distance. */
export const NEAR_ONE_WAY_MS = 3;
/** Callers ↔ any other region, one way: regions are then 2 × 40 ms apart, about New York ↔ Dublin. */
export const FAR_ONE_WAY_MS = 37;
const JITTER_MS = 1;

/** The regions `npm start -- --regions` knows, with the locations livekit-server's region-aware selector wants. */
export const KNOWN_REGIONS: readonly RegionLocation[] = [
  { name: 'us-east', lat: 39.04, lon: -77.49 },
  { name: 'eu-west', lat: 53.35, lon: -6.26 },
  { name: 'ap-south', lat: 19.08, lon: 72.88 },
];

/** One region of the cluster: its namespace, its livekit-server node, its local providers and its worker pool. */
export interface ClusterRegion {
  name: string;
  /** The agent name its pool registers (one per region: explicit dispatch by name is what targets a region). */
  agentName: string;
  link: RegionLink;
  livekit: RunningLivekitServer;
  providersUrl: string;
  workers: StackWorker[];
}

export interface RegionalClusterOptions {
  regions: readonly string[];
  logDir: string;
  latency?: LatencyProfileName;
}

/**
 * A multi-region LiveKit cluster on this machine (docs/regions.md): per region a network namespace
 * holding a livekit-server node (multi-node through the shared Redis, region-aware node selection),
 * the local providers (a region's providers are near it, as cloud providers' regional endpoints are)
 * and a worker pool registered as `voice-agent-<region>`. The hub (this process's namespace) holds
 * Redis and the callers; `callersNear` sets the distances. `npm start -- --regions`, the region
 * tests and the region benchmark all run this.
 */
export class RegionalCluster {
  private constructor(
    /** Stops the providers and the nodes. */
    private readonly stopServices: () => Promise<void>,
    private readonly network: RegionNetwork,
    readonly redis: RunningRedis,
    readonly regions: ClusterRegion[],
    readonly logDir: string,
    readonly apiKey: string,
    readonly apiSecret: string,
  ) {}

  static async start(opts: RegionalClusterOptions): Promise<RegionalCluster> {
    const locations = opts.regions.map((name) => {
      const known = KNOWN_REGIONS.find((r) => r.name === name);
      if (!known) throw new Error(`unknown region '${name}': one of ${KNOWN_REGIONS.map((r) => r.name).join(', ')}`);
      return known;
    });
    if (new Set(opts.regions).size !== opts.regions.length || !opts.regions.length) throw new Error('regions: one or more, each once');
    // This run's logs only: a worker's log read from its start must not hold an earlier run's lines.
    rmSync(opts.logDir, { recursive: true, force: true });
    mkdirSync(opts.logDir, { recursive: true });
    const network = await RegionNetwork.create(opts.regions, [REDIS_PORT]);
    const started: (() => Promise<unknown>)[] = [];
    const stopStarted = async () => {
      for (const stop of started.reverse()) await stop().catch(() => undefined);
    };
    let redis: RunningRedis | undefined;
    try {
      redis = await startRedis({ address: `${HUB_ADDRESS}:${REDIS_PORT}`, logFile: join(opts.logDir, 'redis.log'), remoteClients: true });
      const { apiKey, apiSecret } = localLivekitEndpoint();
      const regions: ClusterRegion[] = [];
      for (const location of locations) {
        const link = network.link(location.name);
        const livekit = await startLivekitServer({
          port: LIVEKIT_PORT,
          nodeIp: link.address,
          bindAddress: link.address,
          interfaces: ['veth0'],
          redisAddress: redis.address,
          region: { name: location.name, regions: locations },
          launcher: link.launcher,
          logFile: join(opts.logDir, `livekit-${location.name}.log`),
        });
        started.push(() => livekit.stop());
        const providers = await startChildProcess({
          name: `local-providers (${location.name})`,
          ...link.launcher(process.execPath, [
            '--import',
            'tsx',
            'harness/local-providers/main.ts',
            '--host',
            link.address,
            '--port',
            String(PROVIDERS_PORT),
            '--profile',
            opts.latency ?? LATENCY_PROFILE_NAMES[0],
          ]),
          cwd: REPO_ROOT,
          logFile: join(opts.logDir, `providers-${location.name}.log`),
          ready: { url: `http://${link.address}:${PROVIDERS_PORT}/healthz` },
          readyTimeoutMs: 30_000,
        });
        started.push(() => providers.stop(5000));
        regions.push({
          name: location.name,
          agentName: regionalAgentName(location.name),
          link,
          livekit,
          providersUrl: `http://${link.address}:${PROVIDERS_PORT}`,
          workers: [],
        });
      }
      const cluster = new RegionalCluster(stopStarted, network, redis, regions, opts.logDir, apiKey, apiSecret);
      cluster.callersNear(regions[0]!.name);
      return cluster;
    } catch (e) {
      await stopStarted();
      await redis?.stop();
      network.remove();
      throw e;
    }
  }

  region(name: string): ClusterRegion {
    const region = this.regions.find((r) => r.name === name);
    if (!region) throw new Error(`no region '${name}' in this cluster`);
    return region;
  }

  /** Where the callers are: near `name` (NEAR_ONE_WAY_MS), far from every other region (FAR_ONE_WAY_MS). */
  callersNear(name: string): void {
    this.region(name);
    for (const r of this.regions) this.network.setDistance(r.name, r.name === name ? NEAR_ONE_WAY_MS : FAR_ONE_WAY_MS, JITTER_MS);
  }

  /**
   * A placement service for the cluster, with the regions file that describes it (each region's
   * server and agent, and the round trips the links make), its keys and its Redis.
   */
  placement(opts: Pick<PlacementOptions, 'agentDeadlineMs' | 'log'>): Placement {
    const rtt = 2 * (NEAR_ONE_WAY_MS + FAR_ONE_WAY_MS);
    const file = {
      regions: this.regions.map((r) => ({ name: r.name, livekitUrl: r.livekit.url, agentName: r.agentName })),
      roundTripMs: Object.fromEntries(
        this.regions.map((a) => [a.name, Object.fromEntries(this.regions.filter((b) => b !== a).map((b) => [b.name, rtt]))]),
      ),
    };
    return new Placement({
      regions: Regions.parse(file, 'the cluster'),
      apiKey: this.apiKey,
      apiSecret: this.apiSecret,
      redisUrl: `redis://${this.redis.address}`,
      ...opts,
    });
  }

  /** A worker of `region`'s pool, inside the region's namespace; `httpPort` must be unique within the region. */
  async startWorker(region: string, opts: { httpPort: number; env?: Record<string, string>; logName?: string }): Promise<StackWorker> {
    const r = this.region(region);
    const logFile = join(this.logDir, `worker-${opts.logName ?? `${r.name}-${r.workers.length + 1}`}.log`);
    const worker = await startWorkerProcess({
      env: {
        LIVEKIT_URL: r.livekit.url,
        LIVEKIT_API_KEY: this.apiKey,
        LIVEKIT_API_SECRET: this.apiSecret,
        AGENT_NAME: r.agentName,
        AGENT_REGION: r.name,
        AGENT_MAX_CONCURRENT_CALLS: '4',
        LOCAL_PROVIDERS_URL: r.providersUrl,
        REDIS_URL: `redis://${this.redis.address}`,
        ...opts.env,
      },
      httpPort: opts.httpPort,
      reachAt: r.link.address,
      launcher: r.link.launcher,
      ownProcessGroup: true,
      logFile,
    });
    const running = stackWorker(worker, r.agentName, logFile, `http://${r.link.address}:${opts.httpPort}`);
    r.workers.push(running);
    return running;
  }

  /** The region's whole worker pool killed at once (SIGKILL to each worker's process group, job processes included). */
  killPool(region: string): void {
    const r = this.region(region);
    for (const w of r.workers.splice(0)) {
      try {
        process.kill(-w.pid, 'SIGKILL');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // one that had exited already
      }
    }
  }

  /** Workers first (SIGTERM drains, SIGKILL after `workerGraceMs`), then providers and nodes, Redis, the namespaces. */
  async stop(workerGraceMs = 15_000): Promise<void> {
    await Promise.all(this.regions.flatMap((r) => r.workers.map((w) => w.stop(workerGraceMs).catch(() => undefined))));
    await this.stopServices();
    await this.redis.stop();
    this.network.remove();
  }
}
