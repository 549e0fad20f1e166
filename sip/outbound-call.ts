import { randomUUID } from 'node:crypto';
import { AgentDispatchClient, RoomServiceClient, SipClient } from 'livekit-server-sdk';
import type { AgentConfig } from '../agent/config/schema.js';
import { livekitApiUrl, withoutAccessTokens } from '../contracts/livekit-endpoint.js';
import { E164_NUMBER, redactNumber } from '../contracts/phone-number.js';

/** livekit-server's API: the worker's own setting (`ws(s)://` or `http(s)://`). */
type LivekitApi = AgentConfig['livekit'];

export interface OutboundCallRequest {
  /** The number to call, E.164. */
  number: string;
  /** The agent to dispatch (its worker's AGENT_NAME). */
  agentName: string;
  /** The outbound trunk by name; unset: the only one livekit-server holds. */
  trunk?: string;
}

export interface OutboundCall {
  room: string;
  participantIdentity: string;
  sipCallId: string;
}

/** A call that could not be placed; nothing is left behind (the room and its agent are gone). */
export class OutboundCallError extends Error {
  override name = 'OutboundCallError';
}

/**
 * Calls a phone through an outbound trunk with our agent on the line: the agent is dispatched into
 * a new room first (it waits there, silent, until the callee answers: agent/session/phone/phone-call.ts
 * callAnswered), then livekit-server asks livekit-sip to dial, and answers once the callee picks up.
 * If the call cannot be placed the room is deleted, which ends the agent's job.
 */
export async function placeOutboundCall(livekit: LivekitApi, request: OutboundCallRequest): Promise<OutboundCall> {
  if (!E164_NUMBER.test(request.number)) throw new OutboundCallError(`'${request.number}' is not an E.164 number (e.g. +15550100001)`);
  const http = livekitApiUrl(livekit.url);
  const sip = new SipClient(http, livekit.apiKey, livekit.apiSecret);
  const trunk = chooseTrunk(await sip.listSipOutboundTrunk(), request.trunk);
  const room = `call-out-${randomUUID().slice(0, 8)}`;
  const participantIdentity = `sip_${request.number}`;
  await new AgentDispatchClient(http, livekit.apiKey, livekit.apiSecret).createDispatch(room, request.agentName, {
    metadata: JSON.stringify({ outbound: true }),
  });
  try {
    const participant = await sip.createSipParticipant(trunk.sipTrunkId, request.number, room, {
      participantIdentity,
      participantName: 'Phone',
      waitUntilAnswered: true,
    });
    return { room, participantIdentity, sipCallId: participant.sipCallId };
  } catch (e) {
    await new RoomServiceClient(http, livekit.apiKey, livekit.apiSecret).deleteRoom(room).catch(() => undefined);
    throw new OutboundCallError(`could not call ${redactNumber(request.number)} through trunk '${trunk.name}': ${explain(e)}`);
  }
}

function chooseTrunk<T extends { name: string; sipTrunkId: string }>(trunks: T[], name?: string): T {
  if (name) {
    const named = trunks.find((t) => t.name === name);
    if (!named)
      throw new OutboundCallError(
        `no outbound trunk named '${name}' (livekit-server holds: ${trunks.map((t) => t.name).join(', ') || 'none'})`,
      );
    return named;
  }
  if (trunks.length === 1) return trunks[0]!;
  if (trunks.length === 0)
    throw new OutboundCallError(
      'livekit-server holds no outbound trunk: describe one in infra/sip/trunks.yaml and run npm run sip -- apply infra/sip/trunks.yaml',
    );
  throw new OutboundCallError(
    `livekit-server holds ${trunks.length} outbound trunks (${trunks.map((t) => t.name).join(', ')}): choose one with --trunk NAME`,
  );
}

/** What went wrong, in words an operator can act on. */
function explain(e: unknown): string {
  const { status, message } = e as { status?: number; message: string };
  // livekit-server hands the call to a SIP service over Redis; with none listening it gives up after ~1 s.
  if (status === 503 && /no response from servers/.test(message)) {
    return 'no SIP service answered livekit-server (is livekit-sip running, and on the same Redis? see infra/sip/README.md)';
  }
  return `livekit-server answered ${status ?? 'nothing'}: ${withoutAccessTokens(message)}`;
}
