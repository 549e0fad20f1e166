import { randomUUID } from 'node:crypto';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { type LivekitEndpoint, livekitApiUrl } from '../../contracts/livekit-endpoint.js';
import { createCallerToken, type PhoneIdentity } from './caller-token.js';
import { type CallerOptions, SimulatedCaller } from './simulated-caller.js';

/** A simulated caller in a room the agent was dispatched into (the placement service's `PlacedCall` is what a caller is handed instead). */
export interface JoinedCall {
  caller: SimulatedCaller;
  room: string;
}

/** Explicit dispatch of `agentName` into `room` (created if need be), before anyone joins it. */
export async function dispatchAgent(livekit: LivekitEndpoint, room: string, agentName: string): Promise<void> {
  await new AgentDispatchClient(livekitApiUrl(livekit.url), livekit.apiKey, livekit.apiSecret).createDispatch(room, agentName);
}

/** Dispatches `agentName` into a new room, then joins it as a simulated caller. */
export async function placeCall(
  livekit: LivekitEndpoint,
  agentName: string,
  caller: Omit<CallerOptions, 'url' | 'token'>,
): Promise<JoinedCall> {
  const room = `call-${randomUUID().slice(0, 8)}`;
  await dispatchAgent(livekit, room, agentName);
  const token = await createCallerToken(livekit, { room, identity: `caller-${randomUUID().slice(0, 6)}` });
  return { caller: await SimulatedCaller.join({ ...caller, url: livekit.url, token }), room };
}

/**
 * A phone-shaped call: the caller joins as livekit-sip joins a phone call into a room (a participant
 * of kind SIP with its `sip.*` attributes, identity `sip_<number>`), and talks and listens through
 * a phone line. It exercises everything after livekit-sip, not livekit-sip itself.
 */
export async function placePhoneShapedCall(
  livekit: LivekitEndpoint,
  agentName: string,
  phone: Omit<PhoneIdentity, 'callId'>,
  caller: Omit<CallerOptions, 'url' | 'token' | 'phoneLine'>,
): Promise<JoinedCall> {
  const room = `call-${randomUUID().slice(0, 8)}`;
  await dispatchAgent(livekit, room, agentName);
  const token = await createCallerToken(livekit, {
    room,
    identity: `sip_${phone.number}`,
    phone: { ...phone, callId: `SCL_${randomUUID().slice(0, 12)}` },
  });
  return { caller: await SimulatedCaller.join({ ...caller, url: livekit.url, token, phoneLine: true }), room };
}
