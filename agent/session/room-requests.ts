import { setMaxListeners } from 'node:events';
import type { Room } from '@livekit/rtc-node';

/** Requests to livekit a job may have in flight at once before Node warns of a leak (measured peak: 11). */
const ROOM_REQUESTS_IN_FLIGHT = 64;

/**
 * rtc-node 0.13.35 (`FfiClient.waitFor`) adds an 'abort' listener to the room's disconnect signal
 * for every request in flight and removes it when the answer comes. That is not a leak (measured
 * here: the count peaks at 10-11 at a preemptive generation, when agent-state attributes and
 * transcription writes go out together, and is back to 0 within half a second), but it passes Node's
 * limit of 10 and every job printed MaxListenersExceededWarning. This raises the limit for that one
 * signal only, so a real leak still warns. It reads a private field of the room; it can go when
 * rtc-node gives each request its own signal.
 */
export function allowConcurrentRoomRequests(room: Room): void {
  const controller = (room as unknown as { disconnectController?: AbortController }).disconnectController;
  if (controller) setMaxListeners(ROOM_REQUESTS_IN_FLIGHT, controller.signal);
}
