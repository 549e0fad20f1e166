import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallRecord, CallStore, LEASE_TTL_MS } from '../../agent/continuity/call-store.js';
import { type RunningRedis, startRedis } from '../../harness/stack/redis.js';
import { freePort } from '../support/free-port.js';

/** The store on a real redis-server: what a worker sees of the calls its agent holds. */
describe('the call store', () => {
  let redis: RunningRedis;
  let store: CallStore;
  let room = 0;
  const call = (agentIdentity = 'agent-a'): CallRecord => ({ room: `room-${++room}`, agentName: 'voice-agent', agentIdentity });

  beforeAll(async () => {
    redis = await startRedis({
      address: `127.0.0.1:${await freePort()}`,
      logFile: join(mkdtempSync(join(tmpdir(), 'call-store-')), 'redis.log'),
    });
    store = CallStore.connect(`redis://${redis.address}`, () => undefined);
    await store.ready(5000);
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  it("keeps a call's conversation, in order, for the agent that takes it over", async () => {
    const held = call();
    await store.hold(held);
    await store.append(held.room, { role: 'assistant', text: 'Hello!' });
    await store.append(held.room, { role: 'user', text: 'what time is it' });
    expect(await store.history(held.room)).toEqual([
      { role: 'assistant', text: 'Hello!' },
      { role: 'user', text: 'what time is it' },
    ]);
    await store.end(held);
    expect(await store.history(held.room)).toEqual([]);
  });

  it('names a call orphaned once its lease lapses unrenewed, and only for its own agent', async () => {
    const held = call();
    await store.hold(held);
    expect((await store.orphaned((c) => c.agentName === 'voice-agent')).map((c) => c.room)).not.toContain(held.room);
    await new Promise((r) => setTimeout(r, LEASE_TTL_MS + 200));
    expect(await store.orphaned((c) => c.agentName === 'voice-agent')).toContainEqual(held);
    expect((await store.orphaned((c) => c.agentName === 'another-agent')).map((c) => c.room)).not.toContain(held.room);
    await store.forget(held.room);
  });

  it('lets one worker claim a rescue at a time', async () => {
    const { room } = call();
    expect(await store.claimRescue(room, 5000)).toBe(true);
    expect(await store.claimRescue(room, 5000)).toBe(false);
  });

  it('does not forget a call that another agent took over when the first one ends late', async () => {
    const first = call('agent-a');
    await store.hold(first);
    await store.append(first.room, { role: 'user', text: 'hello' });
    await store.hold({ ...first, agentIdentity: 'agent-b' });
    await store.end(first);
    expect(await store.history(first.room)).toHaveLength(1);
    expect(await store.orphaned((c) => c.agentName === 'voice-agent')).not.toContainEqual(expect.objectContaining({ room: first.room }));
  });
});
