import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { LivekitEndpoint } from '../../contracts/livekit-endpoint.js';

/** A caller on the phone, as livekit-sip presents one: the numbers of both ends and the call's ID. */
export interface PhoneIdentity {
  /** The caller's number. */
  number: string;
  /** The number the caller dialled (the trunk's). */
  dialled: string;
  callId: string;
  /** livekit-sip's `sip.callStatus`: `active` once answered; an outbound call joins `dialing` and is answered later. */
  callStatus?: 'dialing' | 'ringing' | 'active';
}

export interface CallerTokenOptions {
  room: string;
  identity: string;
  /**
   * The agent to dispatch (explicit dispatch): the token's room configuration asks for it when this
   * participant's join creates the room, so any LiveKit client that joins with it gets the agent.
   */
  agentName?: string;
  /** Join as livekit-sip's participant for this call would: kind SIP, with its `sip.*` attributes. */
  phone?: PhoneIdentity;
  ttlSeconds?: number;
}

/** A join token for a caller: the simulated one (which dispatches the agent itself), a browser, a mobile app or `lk`. */
export function createCallerToken(livekit: Pick<LivekitEndpoint, 'apiKey' | 'apiSecret'>, opts: CallerTokenOptions): Promise<string> {
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: opts.identity, ttl: opts.ttlSeconds ?? 6 * 3600 });
  token.addGrant({ roomJoin: true, room: opts.room, canPublish: true, canSubscribe: true, canPublishData: true });
  if (opts.agentName) token.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: opts.agentName })] });
  if (opts.phone) {
    token.kind = 'sip';
    token.attributes = {
      'sip.phoneNumber': opts.phone.number,
      'sip.trunkPhoneNumber': opts.phone.dialled,
      'sip.callID': opts.phone.callId,
      'sip.callStatus': opts.phone.callStatus ?? 'active',
    };
  }
  return token.toJwt();
}
