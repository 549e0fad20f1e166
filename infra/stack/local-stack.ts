import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type LatencyProfileName } from '../../plugins/local-providers/server/stage-behaviour.js';
import { type RunningLocalProviders, startLocalProviders } from '../../plugins/local-providers/server/local-providers-server.js';
import { type RunningLivekitServer, startLivekitServer } from './livekit-server.js';
import { type RunningWorker, startWorkerProcess } from './worker-process.js';

export interface LocalStackOptions {
  /** Logs of livekit-server and the worker go here. */
  logDir: string;
  livekitPort?: number;
  /** ICE address of livekit-server (see livekit-server.ts); loopback by default. */
  nodeIp?: string;
  providersPort?: number;
  latency?: LatencyProfileName;
  worker: {
    agentName: string;
    httpPort: number;
    /** Extra worker configuration (agent/config), e.g. TTS_PROVIDER. */
    env?: Record<string, string>;
  };
}

export interface LocalStack {
  livekit: RunningLivekitServer;
  providers: RunningLocalProviders;
  worker: RunningWorker;
  /** Environment that points a worker at this stack's livekit-server and local providers. */
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The embedded local default, all on this machine: livekit-server in dev mode, the local providers
 * (in this process) and the worker (a child process, as in production). Stops what it started if a
 * later part fails to start.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  mkdirSync(opts.logDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const livekit = await startLivekitServer({ port: opts.livekitPort, nodeIp: opts.nodeIp, logFile: join(opts.logDir, 'livekit-server.log') });
    stops.push(() => livekit.stop());
    const providers = await startLocalProviders({ port: opts.providersPort ?? 0, latency: opts.latency });
    stops.push(() => providers.close());
    const workerEnv = (extra: Record<string, string> = {}) => ({
      // Everything shares one machine here: CPU load is mostly not the worker's, so count calls instead.
      AGENT_MAX_CONCURRENT_CALLS: '4',
      LIVEKIT_URL: livekit.url,
      LIVEKIT_API_KEY: livekit.apiKey,
      LIVEKIT_API_SECRET: livekit.apiSecret,
      LOCAL_PROVIDERS_URL: providers.url,
      ...extra,
    });
    const worker = await startWorkerProcess({
      env: workerEnv({ AGENT_NAME: opts.worker.agentName, ...opts.worker.env }),
      httpPort: opts.worker.httpPort,
      logFile: join(opts.logDir, `worker-${opts.worker.agentName}.log`),
    });
    stops.push(() => worker.stop());
    return { livekit, providers, worker, workerEnv, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
