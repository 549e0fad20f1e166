import { Redis } from 'ioredis';
import { z } from 'zod';
import { type PoolLoad, readPoolLoads } from '../../contracts/pool-presence.js';

/**
 * The calls in progress, kept in Redis outside the job processes so that a call outlives the job
 * process or the worker that held it: each call's agent, its conversation so far, and a lease the
 * job keeps renewing. A call whose lease lapsed lost its job (agent/continuity/call-rescuer.ts).
 */

/** How often a job renews its call's lease. */
export const LEASE_RENEW_MS = 1000;
/**
 * How long a lease lasts unrenewed: a job process stalled this long on a loaded machine is taken for
 * dead (measured here: event-loop stalls of up to ~1.5 s on 2 cores under the CI's load).
 */
export const LEASE_TTL_MS = 4000;
/** A call is forgotten this long after its last change, whatever happened to it. */
const RECORD_TTL_S = 6 * 3600;

export const historyEntrySchema = z.object({ role: z.enum(['user', 'assistant']), text: z.string() });
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export interface CallRecord {
  room: string;
  agentName: string;
  /** The participant identity of the agent that holds the call now. */
  agentIdentity: string;
  /** The region of the pool that holds it (`worker.region`), for a regional deployment. */
  region?: string;
}

const PREFIX = 'voice-agent:';
const key = {
  calls: `${PREFIX}calls`,
  call: (room: string) => `${PREFIX}call:${room}`,
  history: (room: string) => `${PREFIX}history:${room}`,
  lease: (room: string) => `${PREFIX}lease:${room}`,
  rescue: (room: string) => `${PREFIX}rescue:${room}`,
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export class CallStore {
  private constructor(private readonly redis: Redis) {}

  /**
   * A store on the Redis at `url`. Commands fail fast while Redis is unreachable (a call goes on
   * without its journal rather than waiting), the client reconnects by itself, and `onError` hears
   * the first failure of each outage.
   */
  static connect(url: string, onError: (error: Error) => void): CallStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false, lazyConnect: false });
    // The client retries every ~2 s while Redis is down and reports each failure: one report per outage.
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) onError(error);
      down = true;
    });
    redis.on('ready', () => (down = false));
    return new CallStore(redis);
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not reachable within ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The agent `call.agentIdentity` holds the call from now on; its lease starts. */
  async hold(call: CallRecord): Promise<void> {
    await this.redis
      .multi()
      .set(key.lease(call.room), call.agentIdentity, 'PX', LEASE_TTL_MS)
      .hset(key.call(call.room), {
        agentName: call.agentName,
        agentIdentity: call.agentIdentity,
        ...(call.region ? { region: call.region } : {}),
      })
      .expire(key.call(call.room), RECORD_TTL_S)
      .sadd(key.calls, call.room)
      .exec();
  }

  async renewLease(call: CallRecord): Promise<void> {
    await this.redis.set(key.lease(call.room), call.agentIdentity, 'PX', LEASE_TTL_MS);
  }

  async history(room: string): Promise<HistoryEntry[]> {
    const raw = await this.redis.lrange(key.history(room), 0, -1);
    return raw.flatMap((entry) => {
      const parsed = historyEntrySchema.safeParse(parseJson(entry));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async append(room: string, entry: HistoryEntry): Promise<void> {
    await this.redis.multi().rpush(key.history(room), JSON.stringify(entry)).expire(key.history(room), RECORD_TTL_S).exec();
  }

  /** The call ended: forgotten, unless another agent holds it by now (this one was taken for dead). */
  async end(call: CallRecord): Promise<void> {
    const holder = await this.redis.hget(key.call(call.room), 'agentIdentity');
    if (holder !== null && holder !== call.agentIdentity) return;
    await this.forget(call.room);
  }

  async forget(room: string): Promise<void> {
    await this.redis.multi().del(key.call(room), key.history(room), key.lease(room)).srem(key.calls, room).exec();
  }

  /** Calls whose lease lapsed (their job is gone) and that `takes` says are this worker's to rescue. */
  async orphaned(takes: (call: CallRecord) => boolean): Promise<CallRecord[]> {
    const rooms = await this.redis.smembers(key.calls);
    const orphans: CallRecord[] = [];
    for (const room of rooms) {
      if (await this.redis.exists(key.lease(room))) continue;
      const call = await this.redis.hgetall(key.call(room));
      if (!call.agentName) {
        await this.redis.srem(key.calls, room);
        continue;
      }
      const record: CallRecord = {
        room,
        agentName: call.agentName,
        agentIdentity: call.agentIdentity ?? '',
        ...(call.region ? { region: call.region } : {}),
      };
      if (takes(record)) orphans.push(record);
    }
    return orphans;
  }

  /** Every pool's load, from the workers' presence (agent/worker/pool-presence). */
  poolLoads(): Promise<Map<string, PoolLoad>> {
    return readPoolLoads(this.redis);
  }

  /** Whether this worker is the one to rescue `room` now (one worker does, for `forMs`). */
  async claimRescue(room: string, forMs: number): Promise<boolean> {
    return (await this.redis.set(key.rescue(room), '1', 'PX', forMs, 'NX')) === 'OK';
  }
}
