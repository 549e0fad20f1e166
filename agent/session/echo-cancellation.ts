import { ParticipantKind, type RemoteParticipant } from '@livekit/rtc-node';
import { EchoCancellation } from '../../plugins/echo-cancellation/index.js';
import type { AgentConfig } from '../config/schema.js';

/**
 * Whether this caller's audio needs the agent's echo removed: browser and mobile clients cancel their
 * own echo; a phone behind a SIP trunk does not, and the agent would hear itself and interrupt its
 * own reply. `auto` turns it on for SIP participants only.
 */
export function echoCancellationFor(
  mode: AgentConfig['audio']['echoCancellation'],
  caller: RemoteParticipant,
): EchoCancellation | undefined {
  const on = mode === 'on' || (mode === 'auto' && caller.kind === ParticipantKind.SIP);
  return on ? EchoCancellation.create() : undefined;
}
