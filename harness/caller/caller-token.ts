import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { LivekitEndpoint } from '../stack/livekit-server.js';

export interface CallerTokenOptions {
  room: string;
  identity: string;
  /**
   * The agent to dispatch (explicit dispatch): the token's room configuration asks for it when this
   * participant's join creates the room, so any LiveKit client that joins with it gets the agent.
   */
  agentName?: string;
  ttlSeconds?: number;
}

/** A join token for a caller: the simulated one (which dispatches the agent itself), a browser, a mobile app or `lk`. */
export function createCallerToken(livekit: Pick<LivekitEndpoint, 'apiKey' | 'apiSecret'>, opts: CallerTokenOptions): Promise<string> {
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: opts.identity, ttl: opts.ttlSeconds ?? 6 * 3600 });
  token.addGrant({ roomJoin: true, room: opts.room, canPublish: true, canSubscribe: true, canPublishData: true });
  if (opts.agentName) token.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: opts.agentName })] });
  return token.toJwt();
}
