import { randomUUID } from 'node:crypto';
import type { LivekitEndpoint } from '../stack/livekit-server.js';
import { createCallerToken } from './caller-token.js';
import { type CallerOptions, SimulatedCaller } from './simulated-caller.js';

export interface PlacedCall {
  caller: SimulatedCaller;
  room: string;
}

/** Joins a new room as a simulated caller whose token dispatches `agentName` into it. */
export async function placeCall(
  livekit: LivekitEndpoint,
  agentName: string,
  caller: Omit<CallerOptions, 'url' | 'token'>,
): Promise<PlacedCall> {
  const room = `call-${randomUUID().slice(0, 8)}`;
  const token = await createCallerToken(livekit, { room, identity: `caller-${randomUUID().slice(0, 6)}`, agentName });
  return { caller: await SimulatedCaller.join({ ...caller, url: livekit.url, token }), room };
}
