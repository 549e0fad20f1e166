import { describe, expect, it } from 'vitest';
import type { Region } from '../../placement/index.js';
import {
  CALLER_JOIN_WINDOW_MS,
  LATE_AGENT_WINDOW_MS,
  PRESENCE_CATCH_UP_MS,
  type RoomAgent,
  RoomWatch,
  UNJOINED_HOLD_MS,
} from '../../placement/room-watch.js';

const region = (name: string): Region => ({
  name,
  livekitUrl: `ws://${name}.test:7880`,
  agentName: `voice-agent-${name}`,
  clientNetworks: [],
});
const [EAST, WEST] = [region('us-east'), region('eu-west')];
const DEADLINE_MS = 5000;
const agent = (r: Region, joinedAtMs: number): RoomAgent => ({ identity: `agent-${r.name}-${joinedAtMs}`, joinedAtMs, region: r.name });

/** A placed call's room as the watch sees it, one look at a time. */
describe("a placed call's room watch", () => {
  it('releases the pool once its agent is in, and ends: no dispatch was withdrawn, so no other agent can come', () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    expect(watch.step({ now: 250, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 1500, participants: 2, agents: [agent(EAST, 1400)] })).toEqual([
      { type: 'release', region: EAST, afterMs: PRESENCE_CATCH_UP_MS },
      { type: 'done' },
    ]);
    expect(watch.done).toBe(true);
  });

  it('moves the call when no agent comes within the deadline of the caller, not of the placement', () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    expect(watch.step({ now: 4000, participants: 0, agents: [] })).toEqual([]);
    expect(watch.step({ now: 4500, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 9499, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 9500, participants: 1, agents: [] })).toEqual([{ type: 'move', from: EAST, tried: [EAST], waitedMs: 5000 }]);
  });

  it('lets the pool go of a caller not in within seconds and holds it when they join; then moves region by region, the last dispatch kept', () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    expect(watch.step({ now: UNJOINED_HOLD_MS, participants: 0, agents: [] })).toEqual([]);
    expect(watch.step({ now: UNJOINED_HOLD_MS + 1, participants: 0, agents: [] })).toEqual([{ type: 'release', region: EAST, afterMs: 0 }]);
    expect(watch.step({ now: 10_000, participants: 0, agents: [] })).toEqual([]);
    expect(watch.step({ now: 12_000, participants: 1, agents: [] })).toEqual([{ type: 'hold', region: EAST }]);
    expect(watch.step({ now: 16_999, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 17_000, participants: 1, agents: [] })).toEqual([{ type: 'move', from: EAST, tried: [EAST], waitedMs: 5000 }]);
    // While the driver moves the call, looks change nothing.
    expect(watch.step({ now: 17_250, participants: 1, agents: [] })).toEqual([]);
    expect(watch.moved(WEST, 17_300)).toEqual([]);
    expect(watch.step({ now: 22_299, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 22_300, participants: 1, agents: [] })).toEqual([
      { type: 'move', from: WEST, tried: [EAST, WEST], waitedMs: 5000 },
    ]);
    // No region left: the last dispatch stays, and its agent is waited for, with no further move.
    expect(watch.moved(undefined, 22_400)).toEqual([]);
    expect(watch.step({ now: 40_000, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 41_000, participants: 2, agents: [agent(WEST, 40_500)] })).toEqual([
      { type: 'release', region: WEST, afterMs: PRESENCE_CATCH_UP_MS },
    ]);
  });

  it('with no region left, waits for the last agent until the caller window ends, then lets its pool go', () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    watch.step({ now: 250, participants: 1, agents: [] });
    expect(watch.step({ now: 5250, participants: 1, agents: [] })).toEqual([{ type: 'move', from: EAST, tried: [EAST], waitedMs: 5000 }]);
    expect(watch.moved(undefined, 5300)).toEqual([]);
    expect(watch.step({ now: 5300 + CALLER_JOIN_WINDOW_MS, participants: 1, agents: [] })).toEqual([]);
    expect(watch.step({ now: 5301 + CALLER_JOIN_WINDOW_MS, participants: 1, agents: [] })).toEqual([
      { type: 'release', region: EAST, afterMs: 0 },
      { type: 'done' },
    ]);
  });

  it("keeps the first agent after a move and removes a withdrawn dispatch's late one for a while, then ends", () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    watch.step({ now: 250, participants: 1, agents: [] });
    watch.step({ now: 5250, participants: 1, agents: [] });
    watch.moved(WEST, 5300);
    const west = agent(WEST, 6000);
    expect(watch.step({ now: 6250, participants: 2, agents: [west] })).toEqual([
      { type: 'release', region: WEST, afterMs: PRESENCE_CATCH_UP_MS },
    ]);
    const late = agent(EAST, 7000);
    expect(watch.step({ now: 7250, participants: 3, agents: [west, late] })).toEqual([
      { type: 'remove', identity: late.identity, region: 'us-east', kept: 'eu-west' },
    ]);
    expect(watch.step({ now: 7500, participants: 2, agents: [west] })).toEqual([]);
    expect(watch.step({ now: 6250 + LATE_AGENT_WINDOW_MS + 1, participants: 2, agents: [west] })).toEqual([{ type: 'done' }]);
  });

  it('gives up on a caller who never joins, and on a server that does not answer it keeps waiting', () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    expect(watch.step({ now: 60_000, participants: undefined, agents: [] })).toEqual([{ type: 'release', region: EAST, afterMs: 0 }]);
    expect(watch.step({ now: CALLER_JOIN_WINDOW_MS, participants: 0, agents: [] })).toEqual([]);
    expect(watch.step({ now: CALLER_JOIN_WINDOW_MS + 1, participants: 0, agents: [] })).toEqual([{ type: 'done' }]);
  });

  it("holds the pool again when the caller's agent is the first thing seen after the hold lapsed", () => {
    const watch = new RoomWatch(EAST, DEADLINE_MS, 0);
    watch.step({ now: UNJOINED_HOLD_MS + 1, participants: 0, agents: [] });
    expect(watch.step({ now: 8000, participants: 2, agents: [agent(EAST, 7900)] })).toEqual([
      { type: 'hold', region: EAST },
      { type: 'release', region: EAST, afterMs: PRESENCE_CATCH_UP_MS },
      { type: 'done' },
    ]);
  });
});
