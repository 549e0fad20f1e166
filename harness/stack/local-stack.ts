import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PhoneIdentity } from '../caller/caller-token.js';
import { type JoinedCall, placeCall, placePhoneShapedCall } from '../caller/place-call.js';
import type { CallerOptions } from '../caller/simulated-caller.js';
import {
  type LatencyProfileName,
  type LocalProvidersOptions,
  type RunningLocalProviders,
  startLocalProviders,
} from '../local-providers/index.js';
import {
  type Launcher,
  type LivekitServerOptions,
  localRedisAddress,
  type RunningLivekitServer,
  startLivekitServer,
} from './livekit-server.js';
import { type RunningRedis, startRedis } from './redis.js';
import { WorkerLog } from './worker-log.js';
import { type RunningWorker, startWorkerProcess } from './worker-process.js';

export interface LocalStackOptions {
  /** Logs of livekit-server and of every worker go here. */
  logDir: string;
  /** livekit-server's signalling port (infra/livekit/livekit.yaml's when unset). */
  livekitPort?: number;
  /** ICE address of livekit-server (see livekit-server.ts); loopback by default. */
  nodeIp?: string;
  /** Port of the stack's Redis on loopback (infra/livekit/livekit.yaml's when unset). */
  redisPort?: number;
  /** Port of the local providers; a free one when unset. */
  providersPort?: number;
  latency?: LatencyProfileName;
  /** The local providers' engines for load benchmarks (see LocalProvidersOptions.loadEngines). */
  loadEngines?: LocalProvidersOptions['loadEngines'];
}

export interface StackWorkerOptions {
  agentName: string;
  httpPort: number;
  /** Extra worker configuration (agent/config), e.g. TTS_PROVIDER. */
  env?: Record<string, string>;
  /** The log file's name is `worker-<logName>.log`: `agentName` unless two workers share it. */
  logName?: string;
  /** Runs it through this, e.g. `taskset` to pin it to its own cores (bench/latency/cpu-pinning.ts). */
  launcher?: Launcher;
}

/** A worker of our agent on the stack, and the one reader of what it logs. */
export interface StackWorker extends RunningWorker {
  agentName: string;
  log: WorkerLog;
  /** The calls the worker says it is on (its `GET /worker`, as livekit-server hears it too). */
  activeCalls(): Promise<number>;
}

/** A started worker with its agent name, its log and its health endpoint at `httpUrl`. */
export function stackWorker(worker: RunningWorker, agentName: string, logFile: string, httpUrl: string): StackWorker {
  const activeCalls = async () => {
    const info = (await (await fetch(`${httpUrl}/worker`)).json()) as { active_jobs: number };
    return info.active_jobs;
  };
  return { ...worker, agentName, log: new WorkerLog(logFile), activeCalls };
}

/**
 * The offline default, all on this machine: Redis, livekit-server in dev mode, the local
 * providers (in this process, so tests and benchmarks can shape and read them) and workers of our
 * agent as child processes, as in production. `npm start`, the tests and the benchmarks all run this.
 */
export class LocalStack {
  readonly #workers: RunningWorker[] = [];

  private constructor(
    readonly redis: RunningRedis,
    private server: RunningLivekitServer,
    private readonly serverOptions: LivekitServerOptions,
    private localProviders: RunningLocalProviders,
    /** What the providers were started with, to start them again the same. */
    private readonly providerOptions: LocalProvidersOptions,
    readonly logDir: string,
  ) {}

  get providers(): RunningLocalProviders {
    return this.localProviders;
  }

  /** An outage of the providers: stopped (every socket cut), down for `downMs`, then started again on the same port. */
  async restartProviders(downMs: number): Promise<void> {
    const port = Number(new URL(this.localProviders.url).port);
    await this.localProviders.close();
    await new Promise((r) => setTimeout(r, downMs));
    this.localProviders = await startLocalProviders({ ...this.providerOptions, port });
  }

  get livekit(): RunningLivekitServer {
    return this.server;
  }

  /** An outage: livekit-server killed (its rooms with it), down for `downMs`, then started again as it was. */
  async restartLivekit(downMs: number): Promise<void> {
    await this.server.stop(0);
    await new Promise((r) => setTimeout(r, downMs));
    this.server = await startLivekitServer(this.serverOptions);
  }

  /** Starts Redis, livekit-server and the local providers; stops what it started if a part fails. */
  static async start(opts: LocalStackOptions): Promise<LocalStack> {
    // This run's logs only: a worker's log read from its start must not hold an earlier run's lines.
    rmSync(opts.logDir, { recursive: true, force: true });
    mkdirSync(opts.logDir, { recursive: true });
    const stops: (() => Promise<void>)[] = [];
    try {
      const redisAddress = opts.redisPort ? `127.0.0.1:${opts.redisPort}` : localRedisAddress();
      const redis = await startRedis({ address: redisAddress, logFile: join(opts.logDir, 'redis.log') });
      stops.push(() => redis.stop());
      const serverOptions: LivekitServerOptions = {
        port: opts.livekitPort,
        nodeIp: opts.nodeIp,
        redisAddress,
        logFile: join(opts.logDir, 'livekit-server.log'),
      };
      const livekit = await startLivekitServer(serverOptions);
      stops.push(() => livekit.stop());
      const providerOptions: LocalProvidersOptions = { latency: opts.latency, loadEngines: opts.loadEngines };
      const providers = await startLocalProviders({ ...providerOptions, port: opts.providersPort ?? 0 });
      return new LocalStack(redis, livekit, serverOptions, providers, providerOptions, opts.logDir);
    } catch (e) {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      throw e;
    }
  }

  /** Environment that points a worker (ours or another) at this stack's livekit-server and local providers. */
  workerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      // Everything shares one machine here: CPU load is mostly not the worker's, so count calls instead.
      AGENT_MAX_CONCURRENT_CALLS: '4',
      LIVEKIT_URL: this.livekit.url,
      LIVEKIT_API_KEY: this.livekit.apiKey,
      LIVEKIT_API_SECRET: this.livekit.apiSecret,
      LOCAL_PROVIDERS_URL: this.providers.url,
      REDIS_URL: `redis://${this.redis.address}`,
      ...extra,
    };
  }

  /** A worker of our agent registered under `agentName`, logging to `worker-<logName>.log`; stopped with the stack. */
  async startWorker(opts: StackWorkerOptions): Promise<StackWorker> {
    const logFile = join(this.logDir, `worker-${opts.logName ?? opts.agentName}.log`);
    const worker = await startWorkerProcess({
      env: this.workerEnv({ AGENT_NAME: opts.agentName, ...opts.env }),
      httpPort: opts.httpPort,
      logFile,
      launcher: opts.launcher,
    });
    this.#workers.push(worker);
    return stackWorker(worker, opts.agentName, logFile, `http://127.0.0.1:${opts.httpPort}`);
  }

  /** A simulated caller in a new room, with `agentName` dispatched into it. */
  placeCall(agentName: string, caller: Omit<CallerOptions, 'url' | 'token'>): Promise<JoinedCall> {
    return placeCall(this.livekit, agentName, caller);
  }

  /** A phone-shaped caller (see placePhoneShapedCall) in a new room, with `agentName` dispatched into it. */
  placePhoneShapedCall(
    agentName: string,
    phone: Omit<PhoneIdentity, 'callId'>,
    caller: Omit<CallerOptions, 'url' | 'token' | 'phoneLine'>,
  ): Promise<JoinedCall> {
    return placePhoneShapedCall(this.livekit, agentName, phone, caller);
  }

  /** Workers first (SIGTERM drains their calls, SIGKILL after `workerGraceMs`), then the providers, livekit-server and Redis. */
  async stop(workerGraceMs = 15_000): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.stop(workerGraceMs).catch(() => undefined)));
    await this.providers.close().catch(() => undefined);
    await this.livekit.stop();
    await this.redis.stop();
  }
}
