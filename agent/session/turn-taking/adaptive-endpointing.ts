import { log, voice } from '@livekit/agents';
import { type EndpointingDelays, type EndpointingPolicy, endpointingDelays, endsUnfinished } from './endpointing-policy.js';
import type { PendingTranscripts } from './pending-transcript.js';

/**
 * Applies the endpointing policy to a session as the caller speaks: each transcript (interim or
 * final) sets the delays the end-of-turn model chooses between, so a caller who has just said
 * "four seven" or "um" is waited for (`unfinishedWords`: not with the combined detector, whose model
 * weighs that rule itself), and so does the STT owing a final transcript (`pending`, which the
 * agent's STT node passes its events through). The framework reads
 * the delays when it decides a turn, and a final transcript is told to the session before it
 * decides on it (agents-js 1.8.1 audio_recognition: onFinalTranscript, then runEOUDetection).
 * Within one pause an unfinished ending holds: a final that revises "four seven" into "our
 * perception" (measured in CI) must not end the turn the interim kept open. Speech again, or a
 * committed turn, starts afresh.
 */
export function adaptEndpointing(
  session: voice.AgentSession,
  policy: EndpointingPolicy,
  phoneLine: boolean,
  pending: PendingTranscripts,
  opts: { unfinishedWords: boolean },
): void {
  const logger = log().child({ component: 'endpointing' });
  // The session starts with the delays for no words (agent/session/session-options.ts).
  let applied: EndpointingDelays = endpointingDelays({ unfinished: false, phoneLine, transcriptPending: false }, policy);
  /** A transcript in the current pause ended on an unfinished word. */
  let heldUnfinished = false;

  const apply = (unfinished: boolean) => {
    heldUnfinished = unfinished;
    const delays = endpointingDelays({ unfinished, phoneLine, transcriptPending: pending.pending }, policy);
    if (delays.minDelay === applied.minDelay && delays.maxDelay === applied.maxDelay) return;
    applied = delays;
    logger.debug({ ...delays, transcriptPending: pending.pending }, 'endpointing delays');
    session.updateOptions({ turnHandling: { endpointing: delays } });
  };
  pending.onChange(() => apply(heldUnfinished));

  session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) =>
    apply(heldUnfinished || (opts.unfinishedWords && endsUnfinished(ev.transcript))),
  );
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
    if (ev.newState === 'speaking') heldUnfinished = false;
  });
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type !== 'message' || ev.item.role !== 'user') return;
    heldUnfinished = false;
    pending.reset();
    apply(false);
  });
}
