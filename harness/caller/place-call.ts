import { randomUUID } from 'node:crypto';
import { AgentDispatchClient } from 'livekit-server-sdk';
import type { LivekitEndpoint } from '../stack/livekit-server.js';
import { createCallerToken } from './caller-token.js';
import { type CallerOptions, SimulatedCaller } from './simulated-caller.js';

export interface PlacedCall {
  caller: SimulatedCaller;
  room: string;
}

/** Explicit dispatch of `agentName` into `room` (created if need be), before anyone joins it. */
export async function dispatchAgent(livekit: LivekitEndpoint, room: string, agentName: string): Promise<void> {
  await new AgentDispatchClient(livekit.url.replace(/^ws/, 'http'), livekit.apiKey, livekit.apiSecret).createDispatch(room, agentName);
}

/** Dispatches `agentName` into a new room, then joins it as a simulated caller. */
export async function placeCall(livekit: LivekitEndpoint, agentName: string, caller: Omit<CallerOptions, 'url' | 'token'>): Promise<PlacedCall> {
  const room = `call-${randomUUID().slice(0, 8)}`;
  await dispatchAgent(livekit, room, agentName);
  const token = await createCallerToken(livekit, { room, identity: `caller-${randomUUID().slice(0, 6)}` });
  return { caller: await SimulatedCaller.join({ ...caller, url: livekit.url, token }), room };
}
