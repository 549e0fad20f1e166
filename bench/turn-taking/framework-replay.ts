import { INPUT_FRAME_LAG_MS, type SttUtterance } from './stt-replay.js';
import type { VadSegment } from './vad-replay.js';

/** What a detector is told each time the framework runs its end-of-turn detection. */
export interface Trigger {
  /** When (ms of the turn's audio). */
  at: number;
  source: 'vad' | 'stt';
  /** The turn's words so far: every final transcript since the last committed turn. */
  transcript: string;
  /** The framework's last speech of the caller (the VAD's end of speech, minus its silence). */
  lastSpeakingAt: number;
  /** The VAD segment that ended last. */
  segment: number;
  /** The STT owes a final transcript: speech it heard (its own start of speech, or a commit) not transcribed yet. */
  owed: boolean;
}

/** The detector's answer: the silence to wait after the last speech, and how long it took to decide. */
export interface Decision {
  delayMs: number;
  latencyMs: number;
}

export type Detector = (trigger: Trigger) => Decision;

type Event = { at: number } & ({ kind: 'start' } | { kind: 'end'; segment: number } | { kind: 'final'; text: string; utterance: number });

/**
 * When agents-js 1.8.1 (voice/audio_recognition.ts) declares the caller's turns over, in ms of the
 * turn's audio, given what its VAD and STT reported and when. At the VAD's end of speech (when it
 * holds words already) and at each final transcript that comes while the caller is silent, it asks
 * the detector, then waits until the detector's delay after the last speech (not after the trigger:
 * upstream agents-js #1741), unless speech starts again or a later trigger replaces the wait; at the
 * end of the wait the words so far are the caller's turn and the next turn starts empty.
 */
export function frameworkDecisions(vad: VadSegment[], stt: SttUtterance[], detect: Detector): number[] {
  const events: Event[] = [];
  vad.forEach((s, segment) => {
    events.push({ at: s.start + INPUT_FRAME_LAG_MS, kind: 'start' });
    if (s.end !== undefined) events.push({ at: s.end + INPUT_FRAME_LAG_MS, kind: 'end', segment });
  });
  stt.forEach((u, utterance) => {
    events.push({ at: u.finalAt, kind: 'final', text: u.text, utterance });
  });
  // A start wins a tie: speech that resumes as a wait ends cancels it.
  const order = { start: 0, end: 1, final: 2 } as const;
  events.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);

  const owedAt = (at: number) => stt.some((u) => (u.speechStartedAt ?? u.committedAt) <= at && u.finalAt > at);
  const decisions: number[] = [];
  let speaking = false;
  let transcript = '';
  let lastSpeakingAt = 0;
  let segment = -1;
  let waitUntil: number | undefined;
  const trigger = (at: number, source: Trigger['source']) => {
    const d = detect({ at, source, transcript, lastSpeakingAt, segment, owed: owedAt(at) });
    waitUntil = Math.max(at + d.latencyMs, lastSpeakingAt + d.delayMs);
  };
  for (const ev of events) {
    if (waitUntil !== undefined && waitUntil <= ev.at) {
      decisions.push(waitUntil);
      transcript = '';
      waitUntil = undefined;
    }
    if (ev.kind === 'start') {
      speaking = true;
      waitUntil = undefined;
    } else if (ev.kind === 'end') {
      speaking = false;
      segment = ev.segment;
      lastSpeakingAt = vad[ev.segment]!.end! - (vad[ev.segment]!.silence ?? 0);
      if (transcript) trigger(ev.at, 'vad');
    } else if (ev.text) {
      transcript = `${transcript} ${ev.text}`.trim();
      if (!speaking) trigger(ev.at, 'stt');
    }
  }
  if (waitUntil !== undefined) decisions.push(waitUntil);
  return decisions;
}
