import { voice } from '@livekit/agents';
import type { ReconnectingSTT } from '../../providers/reconnecting-stt.js';
import type { PendingTranscripts } from './pending-transcript.js';

/**
 * The end of the caller's speech, as the session's VAD hears it, commits their audio to the STT
 * (`stt.commit: agent`): the transcript then arrives while the turn is being decided instead of
 * after the provider's own silence, and a caller in a noisy room, whom the provider's silence
 * detector never hears stop, gets one. The utterance's transcript is owed from the commit
 * (`pending`), so the turn waits for it. Speech starting opens the utterance, so a provider stream
 * lost before its transcript is reported (ReconnectingSTT).
 */
export function commitOnEndOfSpeech(session: voice.AgentSession, transcriber: ReconnectingSTT, pending: PendingTranscripts): void {
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
    if (ev.newState === 'speaking') transcriber.speechStarted();
    else if (ev.oldState === 'speaking' && transcriber.commit()) pending.committed();
  });
}
