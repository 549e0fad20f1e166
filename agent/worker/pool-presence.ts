import { log } from '@livekit/agents';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { WorkerLoadSnapshot } from './worker-load.js';

/** One key per worker under this prefix, expiring unless renewed: a dead worker drops out on its own. */
const KEY_PREFIX = 'voice-agent:pool:';
const RENEW_MS = 1000;
/** A worker not heard from for this long counts as gone (a few missed renewals). */
const TTL_MS = 4000;

const workerPresenceSchema = z.object({
  agentName: z.string().min(1),
  region: z.string().optional(),
  activeCalls: z.number().int().min(0),
  maxCalls: z.number().int().positive().optional(),
  available: z.boolean(),
});
type WorkerPresence = z.infer<typeof workerPresenceSchema>;
/** What of the worker's load its presence carries. */
export type PoolPresenceLoad = Pick<WorkerLoadSnapshot, 'activeCalls' | 'maxCalls' | 'available'>;

/** A pool (the workers registered under one agent name) as a placement service sees it. */
export interface PoolLoad {
  /** Live workers that take calls. */
  workers: number;
  activeCalls: number;
  /** Calls the pool can still take: Infinity when a worker's limit is its CPU (livekit-server then decides). */
  freeCalls: number;
}

/**
 * The worker's presence in the shared Redis: its agent name, region and load, renewed every second.
 * livekit-server knows each worker's load but tells nobody (self-hosted dispatch has no regions), so
 * this is how the placement service (web/server/placement) sees which regional pools have room.
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
    this.#key = `${KEY_PREFIX}${identity.agentName}:${workerId}`;
    // A worker that exits without `leave` drops out of the pool when its key expires.
    this.#timer = setInterval(() => void this.#renew(), RENEW_MS);
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
      await this.#redis.set(this.#key, JSON.stringify(presence), 'PX', TTL_MS);
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

/** Every pool's load from the workers' presence, by agent name. Malformed entries are skipped. */
export async function readPoolLoads(redis: Redis): Promise<Map<string, PoolLoad>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const pools = new Map<string, PoolLoad>();
  if (!keys.length) return pools;
  for (const raw of await redis.mget(keys)) {
    const parsed = workerPresenceSchema.safeParse(safeJson(raw));
    if (!parsed.success) continue;
    const w = parsed.data;
    const pool = pools.get(w.agentName) ?? { workers: 0, activeCalls: 0, freeCalls: 0 };
    pool.activeCalls += w.activeCalls;
    if (w.available) {
      pool.workers += 1;
      pool.freeCalls += w.maxCalls === undefined ? Number.POSITIVE_INFINITY : Math.max(0, w.maxCalls - w.activeCalls);
    }
    pools.set(w.agentName, pool);
  }
  return pools;
}

function safeJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
