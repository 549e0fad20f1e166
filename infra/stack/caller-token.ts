import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';

export interface CallerTokenOptions {
  apiKey: string;
  apiSecret: string;
  room: string;
  identity: string;
  /** The agent to dispatch into the room when this participant creates it (explicit dispatch). */
  agentName: string;
  ttlSeconds?: number;
}

/**
 * A join token for a human caller (browser, mobile, `lk`). The agent is dispatched by the token's
 * room configuration, so any LiveKit client that joins with it gets the agent without an extra API call.
 */
export async function createCallerToken(opts: CallerTokenOptions): Promise<string> {
  const token = new AccessToken(opts.apiKey, opts.apiSecret, { identity: opts.identity, ttl: opts.ttlSeconds ?? 6 * 3600 });
  token.addGrant({ roomJoin: true, room: opts.room, canPublish: true, canSubscribe: true, canPublishData: true });
  token.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: opts.agentName })] });
  return token.toJwt();
}
