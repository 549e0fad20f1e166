import { type Participant, ParticipantKind, type RemoteParticipant, type Room } from 'livekit-client';

/** The attribute in which the agent framework publishes what the agent is doing. */
const AGENT_STATE_ATTRIBUTE = 'lk.agent.state';

export function isAgent(participant: Participant): boolean {
  return participant.kind === ParticipantKind.AGENT || participant.identity.startsWith('agent-');
}

export function findAgent(room: Room): RemoteParticipant | undefined {
  for (const participant of room.remoteParticipants.values()) {
    if (isAgent(participant)) return participant;
  }
  return undefined;
}

export function isAgentIdentity(room: Room, identity: string): boolean {
  const participant = room.remoteParticipants.get(identity);
  return participant !== undefined && isAgent(participant);
}

/** The agent's state in a connected room: `waiting` until an agent has joined and published one. */
export function agentStateOf(room: Room): string {
  return findAgent(room)?.attributes[AGENT_STATE_ATTRIBUTE] ?? 'waiting';
}
