import type { Region } from './regions.js';

/** Why a call went where it did. */
export type PlacementReason = 'near' | 'spill-over' | 'failover';

export interface PlacementChoice {
  region: Region;
  reason: PlacementReason;
}

/** A region's pool as the choice sees it; unknown when its load cannot be read (then it is taken to have room). */
export type PoolRoom = { workers: number; freeCalls: number } | undefined;

/**
 * The nearest region whose pool can take the call. `nearestFirst` starts with the caller's own
 * region: chosen there, the call is `near`; passed over because that pool is full, `spill-over`;
 * because it has no live worker (down, or every worker draining), `failover`. Undefined when no
 * region has room.
 */
export function choosePlacement(nearestFirst: readonly Region[], room: (region: Region) => PoolRoom): PlacementChoice | undefined {
  const [near] = nearestFirst;
  if (!near) return undefined;
  for (const region of nearestFirst) {
    const pool = room(region);
    if (pool !== undefined && (pool.workers === 0 || pool.freeCalls <= 0)) continue;
    if (region === near) return { region, reason: 'near' };
    const nearPool = room(near);
    return { region, reason: nearPool && nearPool.workers > 0 ? 'spill-over' : 'failover' };
  }
  return undefined;
}
