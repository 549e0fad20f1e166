import { randomUUID } from 'node:crypto';
import { ParticipantInfo_Kind } from '@livekit/protocol';
import { Redis } from 'ioredis';
import { AccessToken, AgentDispatchClient, RoomAgentDispatch, RoomConfiguration, RoomServiceClient } from 'livekit-server-sdk';
import { Counter, Histogram, Registry } from 'prom-client';
import { livekitApiUrl } from '../contracts/livekit-endpoint.js';
import { type PoolLoad, readPoolLoads } from '../contracts/pool-presence.js';
import { REGION_ATTRIBUTE } from '../contracts/region-attribute.js';
import { choosePlacement, type PlacementReason, type PoolRoom } from './placement-choice.js';
import { type Region, Regions } from './regions.js';
import { RoomWatch, UNJOINED_HOLD_MS, WATCH_POLL_MS, type WatchAction } from './room-watch.js';

/** A call's token outlives any call; it only lets its holder into that one room. */
const CALL_TOKEN_TTL_SECONDS = 2 * 3600;
/**
 * Rooms watched at once (each polls its server four times a second): past this, a call is placed
 * without failover, and its place in the pool lapses as an unjoined one's does.
 */
const MAX_WATCHES = 1000;

type MoveAction = Extract<WatchAction, { type: 'move' }>;

/** What a caller needs to join its call, and where it was placed. */
export interface PlacedCall {
  url: string;
  token: string;
  room: string;
  region: string;
}

export interface PlacementOptions {
  regions: Regions;
  apiKey: string;
  apiSecret: string;
  /** Where the worker pools report their load (agent/worker/pool-presence); unset, every region is taken to have room. */
  redisUrl?: string;
  /** How long an agent may take to join once the caller is in the room before the call is moved to the next region. */
  agentDeadlineMs: number;
  /** One JSON line per placement event (stdout by default). */
  log?: (event: Record<string, unknown>) => void;
}

/** No region has an agent free (every pool full or down): the caller should try again shortly. */
export class NoRoomError extends Error {
  constructor() {
    super('no region has an agent free for a call (every pool full or down): try again in a few seconds');
  }
}

/**
 * Places calls in regions (docs/regions.md): the caller's region from its hint or address, the
 * nearest region whose worker pool has room (spill-over when the near pool is full), a token for
 * that region's livekit-server whose room configuration dispatches that region's agent; then it
 * watches the room, and when no agent has joined within the deadline of the caller's arrival it
 * withdraws the dispatch and dispatches the next region's agent (failover), removing any agent of
 * a withdrawn dispatch that still turns up, so a room never holds two. Self-hosted livekit-server
 * dispatches by agent name and load only (no regions), which is why this lives here.
 */
export class Placement {
  readonly registry = new Registry();
  readonly #placements = new Counter({
    name: 'voice_agent_placements_total',
    help: 'Calls placed in a region (reason: near, spill-over, failover)',
    labelNames: ['caller_region', 'region', 'reason'],
    registers: [this.registry],
  });
  readonly #unplaced = new Counter({
    name: 'voice_agent_unplaced_calls_total',
    help: 'Calls no region could take (reason: no-room at placement, no-agent after every failover)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #decision = new Histogram({
    name: 'voice_agent_placement_decision_seconds',
    help: 'Time to decide where a call goes (reading the pools included)',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly #redis?: Redis;
  /** Calls placed per agent name that the pool's report may not count yet. */
  readonly #pending = new Map<string, number>();
  readonly #watches = new Set<AbortController>();
  readonly #log: (event: Record<string, unknown>) => void;
  #poolsUnreadable = false;

  constructor(private readonly opts: PlacementOptions) {
    this.#log = opts.log ?? ((event) => console.log(JSON.stringify({ time: new Date().toISOString(), component: 'placement', ...event })));
    if (opts.redisUrl) {
      this.#redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: false });
      this.#redis.on('error', () => undefined); // reported once per outage by #room
    }
  }

  /** One region: every call goes to `livekit` and dispatches `agentName`. */
  static single(
    livekit: { url: string; apiKey: string; apiSecret: string },
    agentName: string,
    opts: { redisUrl?: string; agentDeadlineMs: number; log?: PlacementOptions['log'] },
  ): Placement {
    return new Placement({
      regions: Regions.single(livekit.url, agentName),
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      ...opts,
    });
  }

  /** Places a new call for a caller who asked for `hint` (a region name) or connects from `address`. */
  async place(hint: string | undefined, address: string | undefined): Promise<PlacedCall> {
    const startedAt = performance.now();
    const caller = this.opts.regions.callerRegion(hint, address);
    const pools = await this.#pools();
    const choice = choosePlacement(this.opts.regions.nearestFirst(caller.region), (r) => this.#room(pools, r));
    const decisionMs = performance.now() - startedAt;
    this.#decision.observe(decisionMs / 1000);
    if (!choice) {
      this.#unplaced.inc({ reason: 'no-room' });
      this.#log({ msg: 'call not placed: no region has room', callerRegion: caller.region });
      throw new NoRoomError();
    }
    const room = `call-${randomUUID().slice(0, 8)}`;
    const token = new AccessToken(this.opts.apiKey, this.opts.apiSecret, {
      identity: `caller-${randomUUID().slice(0, 8)}`,
      ttl: CALL_TOKEN_TTL_SECONDS,
    });
    token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
    // The caller's join creates the room on this region's server and dispatches its agent.
    token.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: choice.region.agentName })] });
    this.#counted(choice.region, caller.region, choice.reason, {
      room,
      callerFrom: caller.from,
      decisionMs: Math.round(decisionMs * 10) / 10,
    });
    if (this.#watches.size < MAX_WATCHES) this.#watch(room, choice.region, caller.region);
    else {
      this.#release(choice.region, UNJOINED_HOLD_MS);
      this.#log({ msg: 'call placed without a watch: too many rooms watched', room, watches: this.#watches.size });
    }
    return { url: choice.region.livekitUrl, token: await token.toJwt(), room, region: choice.region.name };
  }

  async close(): Promise<void> {
    for (const watch of this.#watches) watch.abort();
    this.#redis?.disconnect();
  }

  async #pools(): Promise<Map<string, PoolLoad> | undefined> {
    if (!this.#redis) return undefined;
    try {
      const pools = await readPoolLoads(this.#redis);
      if (this.#poolsUnreadable) this.#log({ msg: 'worker pools readable again' });
      this.#poolsUnreadable = false;
      return pools;
    } catch (error) {
      if (!this.#poolsUnreadable) this.#log({ msg: 'worker pools unreadable: placing by distance alone', error: String(error) });
      this.#poolsUnreadable = true;
      return undefined;
    }
  }

  #room(pools: Map<string, PoolLoad> | undefined, region: Region): PoolRoom {
    if (!pools) return undefined;
    const pool = pools.get(region.agentName) ?? { workers: 0, activeCalls: 0, freeCalls: 0 };
    return { workers: pool.workers, freeCalls: pool.freeCalls - (this.#pending.get(region.agentName) ?? 0) };
  }

  #counted(region: Region, callerRegion: string, reason: PlacementReason, details: Record<string, unknown>): void {
    this.#placements.inc({ caller_region: callerRegion, region: region.name, reason });
    this.#hold(region);
    this.#log({ msg: 'call placed', callerRegion, region: region.name, reason, ...details });
  }

  /** The call counts against `region`'s pool until released. */
  #hold(region: Region): void {
    this.#pending.set(region.agentName, (this.#pending.get(region.agentName) ?? 0) + 1);
  }

  #release(region: Region, afterMs: number): void {
    setTimeout(() => this.#pending.set(region.agentName, Math.max(0, (this.#pending.get(region.agentName) ?? 0) - 1)), afterMs).unref();
  }

  /** Watches `room` (on `home`'s server) until an agent is in it (room-watch.ts); moves the call when none comes in time. */
  #watch(room: string, home: Region, callerRegion: string): void {
    const abort = new AbortController();
    this.#watches.add(abort);
    const api = livekitApiUrl(home.apiUrl ?? home.livekitUrl);
    const rooms = new RoomServiceClient(api, this.opts.apiKey, this.opts.apiSecret);
    const dispatches = new AgentDispatchClient(api, this.opts.apiKey, this.opts.apiSecret);
    const watch = new RoomWatch(home, this.opts.agentDeadlineMs, performance.now());
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    const act = async (action: WatchAction): Promise<WatchAction[]> => {
      switch (action.type) {
        case 'hold':
          this.#hold(action.region);
          return [];
        case 'release':
          this.#release(action.region, action.afterMs);
          return [];
        case 'remove':
          await rooms.removeParticipant(room, action.identity).catch(() => undefined);
          this.#log({ msg: 'second agent removed', room, region: action.region, kept: action.kept });
          return [];
        case 'move':
          return watch.moved(await this.#move(room, callerRegion, dispatches, action), performance.now());
        case 'done':
          return [];
      }
    };
    const run = async () => {
      while (!abort.signal.aborted && !watch.done) {
        await sleep(WATCH_POLL_MS);
        const participants = await rooms.listParticipants(room).catch(() => undefined);
        const agents = (participants ?? [])
          .filter((p) => p.kind === ParticipantInfo_Kind.AGENT)
          .map((p) => ({ identity: p.identity, joinedAtMs: Number(p.joinedAtMs), region: p.attributes[REGION_ATTRIBUTE] }));
        const pending = watch.step({ now: performance.now(), participants: participants?.length, agents });
        while (pending.length) pending.push(...(await act(pending.shift()!)));
      }
    };
    run()
      .catch((error: unknown) => this.#log({ msg: 'call watch failed', room, error: String(error) }))
      .finally(() => this.#watches.delete(abort));
  }

  /**
   * Dispatches the nearest region with room not yet tried and withdraws `from`'s dispatch. With no
   * such region, `from`'s dispatch stays: withdrawing it would leave the caller no agent at all,
   * while the one it asked for may only be late (a job process still warming).
   */
  async #move(
    room: string,
    callerRegion: string,
    dispatches: AgentDispatchClient,
    { from, tried, waitedMs }: MoveAction,
  ): Promise<Region | undefined> {
    const pools = await this.#pools();
    const next = choosePlacement(
      this.opts.regions.nearestFirst(callerRegion).filter((r) => !tried.includes(r)),
      (r) => this.#room(pools, r),
    );
    if (!next) {
      this.#unplaced.inc({ reason: 'no-agent' });
      this.#log({
        msg: 'no agent yet, and no other region has room: the call waits on its region',
        room,
        region: from.name,
        tried: tried.map((r) => r.name),
      });
      return undefined;
    }
    for (const d of await dispatches.listDispatch(room).catch(() => [])) {
      if (d.agentName === from.agentName) await dispatches.deleteDispatch(d.id, room).catch(() => undefined);
    }
    this.#release(from, 0);
    await dispatches.createDispatch(room, next.region.agentName);
    this.#counted(next.region, callerRegion, 'failover', { room, from: from.name, waitedMs: Math.round(waitedMs) });
    return next.region;
  }
}
