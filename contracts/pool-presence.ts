/**
 * A worker's presence in the shared Redis, as the worker writes it (agent/worker/pool-presence.ts)
 * and the placement service reads it (placement/): livekit-server knows each worker's load but tells
 * nobody (self-hosted dispatch has no regions), so this is how placement sees which pools have room.
 */

/** One key per worker under this prefix (`<prefix><agentName>:<workerId>`), expiring unless renewed. */
export const POOL_PRESENCE_KEY_PREFIX = 'voice-agent:pool:';
/** How often a worker renews its key. */
export const POOL_PRESENCE_RENEW_MS = 1000;
/** A worker not heard from for this long counts as gone (a few missed renewals): its key expires. */
export const POOL_PRESENCE_TTL_MS = 4000;

export interface WorkerPresence {
  agentName: string;
  region?: string;
  activeCalls: number;
  /** Absent when the worker's limit is its CPU (livekit-server then decides). */
  maxCalls?: number;
  /** Registered with livekit-server and taking calls (not starting or draining). */
  available: boolean;
}

/** A pool (the workers registered under one agent name) as the placement service sees it. */
export interface PoolLoad {
  /** Live workers that take calls. */
  workers: number;
  activeCalls: number;
  /** Calls the pool can still take: Infinity when a worker's limit is its CPU. */
  freeCalls: number;
}

export function poolPresenceKey(agentName: string, workerId: string): string {
  return `${POOL_PRESENCE_KEY_PREFIX}${agentName}:${workerId}`;
}

const count = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** A presence from its stored JSON text, or undefined for anything malformed. */
export function parseWorkerPresence(text: string | null): WorkerPresence | undefined {
  let v: unknown;
  try {
    v = text === null ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const p = v as Record<string, unknown>;
  if (typeof p.agentName !== 'string' || !p.agentName) return undefined;
  if (p.region !== undefined && typeof p.region !== 'string') return undefined;
  if (!count(p.activeCalls, 0) || (p.maxCalls !== undefined && !count(p.maxCalls, 1)) || typeof p.available !== 'boolean') return undefined;
  return {
    agentName: p.agentName,
    ...(p.region === undefined ? {} : { region: p.region }),
    activeCalls: p.activeCalls as number,
    ...(p.maxCalls === undefined ? {} : { maxCalls: p.maxCalls as number }),
    available: p.available,
  };
}

/** Every pool's load from its workers' presences, by agent name. */
export function poolLoadsOf(presences: Iterable<WorkerPresence>): Map<string, PoolLoad> {
  const pools = new Map<string, PoolLoad>();
  for (const w of presences) {
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

/** What of a Redis client reading the presences takes (ioredis's `Redis` has it). */
export interface PoolPresenceStore {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[cursor: string, keys: string[]]>;
  mget(keys: string[]): Promise<(string | null)[]>;
}

/** Every pool's load from the workers' presences in `redis`, by agent name. Malformed entries are skipped. */
export async function readPoolLoads(redis: PoolPresenceStore): Promise<Map<string, PoolLoad>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${POOL_PRESENCE_KEY_PREFIX}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (!keys.length) return new Map();
  const presences = (await redis.mget(keys)).map(parseWorkerPresence).filter((p) => p !== undefined);
  return poolLoadsOf(presences);
}
