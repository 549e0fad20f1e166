import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolPresence, type PoolPresenceLoad } from '../../agent/worker/pool-presence.js';
import { readPoolLoads } from '../../contracts/pool-presence.js';
import { type RunningRedis, startRedis } from '../../harness/stack/redis.js';
import { waitFor } from '../../harness/stack/wait.js';
import { choosePlacement, NoRoomError, Placement, Regions, UnknownRegionError } from '../../placement/index.js';
import { UNJOINED_HOLD_MS, WATCH_POLL_MS } from '../../placement/room-watch.js';
import { startWebFront } from '../../web/server/web-front.js';
import { postCall } from '../support/call-request.js';
import { freePort } from '../support/free-port.js';

const KEYS = { apiKey: 'devkey', apiSecret: 'a-secret-of-at-least-32-characters-long' };
const REGIONS = {
  regions: [
    { name: 'us-east', livekitUrl: 'ws://127.0.0.1:1', agentName: 'voice-agent-us-east', clientNetworks: ['198.51.100.0/24'] },
    {
      name: 'eu-west',
      livekitUrl: 'ws://127.0.0.1:2',
      agentName: 'voice-agent-eu-west',
      clientNetworks: ['203.0.113.0/24', '2001:db8::/32'],
    },
    { name: 'ap-south', livekitUrl: 'ws://127.0.0.1:3', agentName: 'voice-agent-ap-south' },
  ],
  roundTripMs: { 'us-east': { 'eu-west': 80, 'ap-south': 220 }, 'eu-west': { 'ap-south': 120 } },
};

describe('regions', () => {
  const regions = Regions.parse(REGIONS, 'test regions');

  it("takes the caller's region from its hint, else its address, else the first region", () => {
    expect(regions.callerRegion('ap-south', '198.51.100.7')).toEqual({ region: 'ap-south', from: 'hint' });
    expect(regions.callerRegion(undefined, '::ffff:203.0.113.9')).toEqual({ region: 'eu-west', from: 'address' });
    expect(regions.callerRegion(undefined, '2001:db8::1')).toEqual({ region: 'eu-west', from: 'address' });
    expect(regions.callerRegion(undefined, '192.0.2.1')).toEqual({ region: 'us-east', from: 'default' });
    expect(() => regions.callerRegion('mars-north', undefined)).toThrow(UnknownRegionError);
  });

  it('orders regions nearest first by measured round trip, either way round', () => {
    expect(regions.nearestFirst('ap-south').map((r) => r.name)).toEqual(['ap-south', 'eu-west', 'us-east']);
    expect(regions.nearestFirst('us-east').map((r) => r.name)).toEqual(['us-east', 'eu-west', 'ap-south']);
  });

  it('names every bad entry of a regions file', () => {
    const bad = {
      regions: [
        { name: 'US East', livekitUrl: 'ftp://x', agentName: 'a', clientNetworks: ['10.0.0.0/33'] },
        { name: 'eu-west', livekitUrl: 'ws://x', agentName: 'b' },
        { name: 'eu-west', livekitUrl: 'ws://y', agentName: 'c' },
      ],
      roundTripMs: { 'eu-west': { nowhere: 10 } },
    };
    const error = (() => {
      try {
        Regions.parse(bad, 'regions file r.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected an error');
    })();
    for (const part of [
      'regions.0.name',
      'regions.0.livekitUrl',
      'regions.0.clientNetworks.0',
      'listed twice',
      'nowhere is not a listed region',
    ])
      expect(error).toContain(part);
  });
});

describe('choosing a region', () => {
  const regions = Regions.parse(REGIONS, 'test regions');
  const order = regions.nearestFirst('us-east');
  const pools = (free: Record<string, [workers: number, freeCalls: number]>) => (r: { name: string }) => {
    const p = free[r.name];
    return p && { workers: p[0], freeCalls: p[1] };
  };

  it('near when its pool has room; spill-over when full; failover when it has no live worker', () => {
    expect(choosePlacement(order, pools({ 'us-east': [1, 2], 'eu-west': [1, 4] }))).toMatchObject({
      region: { name: 'us-east' },
      reason: 'near',
    });
    expect(choosePlacement(order, pools({ 'us-east': [1, 0], 'eu-west': [1, 4] }))).toMatchObject({
      region: { name: 'eu-west' },
      reason: 'spill-over',
    });
    expect(choosePlacement(order, pools({ 'us-east': [0, 0], 'eu-west': [0, 0], 'ap-south': [2, 1] }))).toMatchObject({
      region: { name: 'ap-south' },
      reason: 'failover',
    });
    expect(choosePlacement(order, pools({ 'us-east': [1, 0], 'eu-west': [1, 0], 'ap-south': [1, 0] }))).toBeUndefined();
    // Loads unreadable: the nearest region.
    expect(choosePlacement(order, () => undefined)).toMatchObject({ region: { name: 'us-east' }, reason: 'near' });
  });
});

/** The placement service on a real redis-server, with workers' presence as the pools report it. */
describe('placement', () => {
  let redis: RunningRedis;
  let placement: Placement;
  let reader: Redis;
  const events: Record<string, unknown>[] = [];
  const presences: PoolPresence[] = [];
  const pool = (agentName: string, load: PoolPresenceLoad) => {
    const presence = new PoolPresence(`redis://${redis.address}`, `${agentName}-${presences.length}`, { agentName }, { snapshot: load });
    presences.push(presence);
    return { presence, load };
  };

  beforeAll(async () => {
    redis = await startRedis({
      address: `127.0.0.1:${await freePort()}`,
      logFile: join(mkdtempSync(join(tmpdir(), 'placement-')), 'redis.log'),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'regions-')), 'regions.yaml');
    writeFileSync(file, JSON.stringify(REGIONS));
    reader = new Redis(`redis://${redis.address}`);
    placement = new Placement({
      regions: Regions.read(file),
      ...KEYS,
      redisUrl: `redis://${redis.address}`,
      agentDeadlineMs: 5000,
      log: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await Promise.all(presences.map((p) => p.leave()));
    await placement?.close();
    reader?.disconnect();
    await redis?.stop();
  });

  it('places by pool room: near, then spill-over once the near pool is taken, none when every pool is full; counted on /metrics', async () => {
    const east = pool('voice-agent-us-east', { activeCalls: 1, maxCalls: 2, available: true });
    const west = pool('voice-agent-eu-west', { activeCalls: 0, maxCalls: 1, available: true });
    pool('voice-agent-ap-south', { activeCalls: 0, available: false });
    await waitFor(async () => (await readPoolLoads(reader)).size === 3, { timeoutMs: 5000, what: 'the pools to report' });
    expect((await placement.place('us-east', undefined)).region).toBe('us-east');
    expect(events.at(-1)).toMatchObject({
      msg: 'call placed',
      callerRegion: 'us-east',
      region: 'us-east',
      reason: 'near',
      callerFrom: 'hint',
    });
    const first = await new TokenVerifier(KEYS.apiKey, KEYS.apiSecret)
      .verify((await placement.place(undefined, '192.0.2.1')).token)
      .catch(() => undefined);
    // The near pool had one free call, and the call placed a moment ago holds it until the pool reports it.
    expect(first?.roomConfig?.agents?.map((a) => a.agentName)).toEqual(['voice-agent-eu-west']);
    expect(events.at(-1)).toMatchObject({ msg: 'call placed', callerRegion: 'us-east', region: 'eu-west', reason: 'spill-over' });
    await expect(placement.place('us-east', undefined)).rejects.toThrow(NoRoomError);
    // A pool whose load says it has room again is chosen again (its pending calls aside).
    east.load.maxCalls = 8;
    west.load.available = false;
    await waitFor(async () => (await readPoolLoads(reader)).get('voice-agent-eu-west')?.workers === 0, {
      timeoutMs: 5000,
      what: 'the new load',
    });
    expect((await placement.place('eu-west', undefined)).region).toBe('us-east');
    expect(events.at(-1)).toMatchObject({ callerRegion: 'eu-west', region: 'us-east', reason: 'failover' });
    const metrics = await placement.registry.metrics();
    expect(metrics).toMatch(/voice_agent_placements_total\{caller_region="us-east",region="eu-west",reason="spill-over"\} 1/);
    expect(metrics).toMatch(/voice_agent_unplaced_calls_total\{reason="no-room"\} 1/);
    expect(metrics).toMatch(/voice_agent_placement_decision_seconds_count \d+/);
  });

  it('through the web front, 500 call requests nobody joins leave room for a real caller, placed at once; no hold outlasts seconds', async () => {
    const agentName = 'voice-agent-flooded';
    pool(agentName, { activeCalls: 0, maxCalls: 4, available: true });
    await waitFor(async () => (await readPoolLoads(reader)).has(agentName), { timeoutMs: 5000, what: 'the pool to report' });
    // No livekit-server at this URL: the watches see no caller, as for requests nobody joins.
    const flooded = Placement.single({ url: 'ws://127.0.0.1:1', ...KEYS }, agentName, {
      redisUrl: `redis://${redis.address}`,
      agentDeadlineMs: 5000,
      log: () => undefined,
    });
    const pageDir = mkdtempSync(join(tmpdir(), 'web-page-'));
    writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>page</title>');
    const front = await startWebFront({ host: '127.0.0.1', port: 0, placement: flooded, pageDir });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 500; i++) statuses.push((await postCall(front.url)).status);
      const count = (status: number) => statuses.filter((s) => s === status).length;
      console.log(JSON.stringify({ flood: { placed: count(200), tooMany: count(429), noRoom: count(503) } }));
      expect(count(200)).toBe(2);
      expect(count(429)).toBe(498);
      const caller = (address: string) => postCall(front.url, undefined, { localAddress: address });
      expect((await caller('127.0.0.2')).status).toBe(200);
      // Requests from more addresses fill the pool, but only until their callers are overdue.
      expect((await caller('127.0.0.3')).status).toBe(200);
      expect((await caller('127.0.0.4')).status).toBe(503);
      await new Promise((r) => setTimeout(r, UNJOINED_HOLD_MS + 2 * WATCH_POLL_MS));
      expect((await caller('127.0.0.4')).status).toBe(200);
    } finally {
      await front.close();
      await flooded.close();
    }
  });
});
