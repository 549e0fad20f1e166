import { type RunningChild, startChildProcess } from './child-process.js';

export interface RunningRedis {
  /** `host:port`, as livekit-server's `redis.address` takes it. */
  address: string;
  stop(): Promise<void>;
}

/**
 * Runs Debian's redis-server on a loopback address for livekit-server (rooms, agent dispatch, SIP
 * trunks and dispatch rules), in memory only: what a stack provisions lives as long as the stack.
 */
export async function startRedis(opts: {
  address: string;
  logFile: string;
  /**
   * Accept clients from other addresses than loopback (Redis's protected mode refuses them while it
   * has no password): for the regional cluster, whose nodes reach it from their own namespaces.
   */
  remoteClients?: boolean;
}): Promise<RunningRedis> {
  const [host, port] = opts.address.split(':');
  if (!host || !port) throw new Error(`redis address must be host:port, got '${opts.address}'`);
  const redis: RunningChild = await startChildProcess({
    name: 'redis-server',
    command: 'redis-server',
    args: ['--bind', host, '--port', port, '--save', '', '--appendonly', 'no', ...(opts.remoteClients ? ['--protected-mode', 'no'] : [])],
    logFile: opts.logFile,
    ready: { outputIncludes: 'Ready to accept connections' },
    readyTimeoutMs: 10_000,
  });
  return { address: opts.address, stop: async () => void (await redis.stop(2000)) };
}
