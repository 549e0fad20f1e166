import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type LivekitEndpoint, livekitApiUrl } from '../../contracts/livekit-endpoint.js';
import { type RunningChild, startChildProcess } from './child-process.js';

/** The development configuration (dev keys, loopback only) every local stack starts from. */
const LIVEKIT_CONFIG = fileURLToPath(new URL('../../infra/livekit/livekit.yaml', import.meta.url));
/** Built by infra/install.sh. */
const LIVEKIT_BINARY = fileURLToPath(new URL('../../.tools/bin/livekit-server', import.meta.url));

export interface LivekitServerOptions {
  /** Signalling port; RTC TCP and UDP use the next two. The configuration's when unset. */
  port?: number;
  /**
   * Address advertised in ICE candidates. libwebrtc ignores loopback interfaces, so WebRTC clients
   * need a non-loopback address: tests use the veth address of their network namespace.
   */
  nodeIp?: string;
  /** The Redis it keeps its state in (`host:port`); the configuration's when unset. */
  redisAddress?: string;
  /** The address it listens on (the configuration's loopback when unset). */
  bindAddress?: string;
  /** One node of a multi-region cluster: its region, and every region with its location (region-aware node selection). */
  region?: { name: string; regions: RegionLocation[] };
  /** Runs it through this, e.g. in a network namespace of its own. */
  launcher?: Launcher;
  /**
   * The interfaces its media port opens on (the configuration's lo and veth0 when unset). A node
   * whose peers are on other hosts must not list lo: pion may answer them from the loopback socket,
   * whose packets cannot leave the host (measured: ICE failed about half the time).
   */
  interfaces?: string[];
  logFile: string;
}

/** Where a region is, for livekit-server's region-aware node selector. */
export interface RegionLocation {
  name: string;
  lat: number;
  lon: number;
}

/** How a program is started: directly, or wrapped (e.g. `ip netns exec NS`). */
export type Launcher = (command: string, args: string[]) => { command: string; args: string[] };

export interface RunningLivekitServer extends LivekitEndpoint {
  /** A first SIGTERM waits for every participant to leave: SIGKILL follows after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

interface LivekitYaml {
  port: number;
  bind_addresses: string[];
  keys: Record<string, string>;
  redis: { address: string };
  rtc: { tcp_port: number; udp_port: number; node_ip: string; interfaces: { includes: string[] } };
  region?: string;
  node_selector?: { kind: 'regionaware'; regions: RegionLocation[] };
}

function readConfig(): LivekitYaml {
  return parseYaml(readFileSync(LIVEKIT_CONFIG, 'utf8')) as LivekitYaml;
}

function endpointOf(config: LivekitYaml): LivekitEndpoint {
  const [apiKey, apiSecret] = Object.entries(config.keys)[0] ?? [];
  if (!apiKey || !apiSecret) throw new Error(`${LIVEKIT_CONFIG} has no keys`);
  return { url: `ws://${config.bind_addresses[0] ?? '127.0.0.1'}:${config.port}`, apiKey, apiSecret };
}

/** The server `npm start` runs, as infra/livekit/livekit.yaml configures it. */
export function localLivekitEndpoint(): LivekitEndpoint {
  return endpointOf(readConfig());
}

/** The Redis that infra/livekit/livekit.yaml points livekit-server at. */
export function localRedisAddress(): string {
  return readConfig().redis.address;
}

/** Runs livekit-server from `.tools/bin` (see infra/install.sh) and waits until it answers HTTP. */
export async function startLivekitServer(opts: LivekitServerOptions): Promise<RunningLivekitServer> {
  if (!existsSync(LIVEKIT_BINARY)) throw new Error(`livekit-server not found at ${LIVEKIT_BINARY}: run infra/install.sh`);
  const config = readConfig();
  if (opts.port) {
    config.port = opts.port;
    config.rtc.tcp_port = opts.port + 1;
    config.rtc.udp_port = opts.port + 2;
  }
  if (opts.nodeIp) config.rtc.node_ip = opts.nodeIp;
  if (opts.redisAddress) config.redis.address = opts.redisAddress;
  if (opts.bindAddress) config.bind_addresses = [opts.bindAddress];
  if (opts.interfaces) config.rtc.interfaces = { includes: opts.interfaces };
  if (opts.region) {
    config.region = opts.region.name;
    config.node_selector = { kind: 'regionaware', regions: opts.region.regions };
  }
  const configFile = join(await mkdtemp(join(tmpdir(), 'livekit-')), 'livekit.yaml');
  writeFileSync(configFile, stringifyYaml(config));
  const endpoint = endpointOf(config);

  const launch = (opts.launcher ?? ((command, args) => ({ command, args })))(LIVEKIT_BINARY, ['--config', configFile]);
  const server: RunningChild = await startChildProcess({
    name: 'livekit-server',
    ...launch,
    logFile: opts.logFile,
    ready: { url: livekitApiUrl(endpoint.url) },
    readyTimeoutMs: 15_000,
  });
  return { ...endpoint, stop: async (graceMs = 5000) => void (await server.stop(graceMs)) };
}
