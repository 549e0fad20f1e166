import { log } from '@livekit/agents';
import { Redis } from 'ioredis';
import { POOL_PRESENCE_RENEW_MS, POOL_PRESENCE_TTL_MS, poolPresenceKey, type WorkerPresence } from '../../contracts/pool-presence.js';
import type { WorkerLoadSnapshot } from './worker-load.js';

/** What of the worker's load its presence carries. */
export type PoolPresenceLoad = Pick<WorkerLoadSnapshot, 'activeCalls' | 'maxCalls' | 'available'>;

/**
 * The worker's presence in the shared Redis (contracts/pool-presence.ts): its agent name, region and
 * load, renewed every second; a worker that stops renewing drops out of its pool on its own.
 */
export class PoolPresence {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #timer: NodeJS.Timeout;
  #failing = false;
  #left = false;

  constructor(
    redisUrl: string,
    workerId: string,
    private readonly identity: { agentName: string; region?: string },
    private readonly load: { readonly snapshot: PoolPresenceLoad },
  ) {
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false });
    this.#redis.on('error', () => undefined); // reported once per outage by #renew
    this.#key = poolPresenceKey(identity.agentName, workerId);
    // A worker that exits without `leave` drops out of the pool when its key expires.
    this.#timer = setInterval(() => void this.#renew(), POOL_PRESENCE_RENEW_MS);
    this.#timer.unref();
    this.#redis.once('ready', () => void this.#renew());
  }

  /** Out of the pool at once. */
  async leave(): Promise<void> {
    this.#left = true;
    clearInterval(this.#timer);
    await this.#redis.del(this.#key).catch(() => undefined);
    this.#redis.disconnect();
  }

  async #renew(): Promise<void> {
    const { activeCalls, maxCalls, available } = this.load.snapshot;
    const presence: WorkerPresence = { ...this.identity, activeCalls, maxCalls, available };
    try {
      await this.#redis.set(this.#key, JSON.stringify(presence), 'PX', POOL_PRESENCE_TTL_MS);
      if (this.#failing) logger().info('pool presence renewed again');
      this.#failing = false;
    } catch (error) {
      if (this.#left) return;
      if (!this.#failing) logger().warn({ error: String(error) }, 'pool presence not renewed: placement will not count this worker');
      this.#failing = true;
    }
  }
}

/** Looked up when first needed: the framework's logger exists once the worker has started. */
const logger = () => log().child({ component: 'pool-presence' });
