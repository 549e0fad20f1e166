import type { RequestRecord } from '../../harness/local-providers/index.js';

/** One turn as the caller lived it, in epoch milliseconds. */
export interface CallerTurn {
  text: string;
  /** The caller's voice (bench/corpus.ts). */
  voice?: string;
  speechStartAt: number;
  /** The last spoken sample of the question left the caller. */
  speechEndAt: number;
  /** The first audible sample of the reply reached the caller. */
  heardAt: number;
}

/** The stages of one turn, in order, each from the end of the previous one (ms). */
export const TIMELINE_STAGES = [
  'endOfSpeechToSttCommit',
  'sttFinal',
  'transcriptToLlmRequest',
  'llmFirstToken',
  'llmTokenToTtsRequest',
  'ttsFirstByte',
  'ttsByteToHeard',
] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export const TIMELINE_STAGE_LABELS: Record<TimelineStage, string> = {
  endOfSpeechToSttCommit: 'end of speech → STT has the utterance',
  sttFinal: 'STT final transcript (provider)',
  transcriptToLlmRequest: 'transcript → LLM request (agent)',
  llmFirstToken: 'LLM first token (provider)',
  llmTokenToTtsRequest: 'first token → TTS request (agent)',
  ttsFirstByte: 'TTS first audio (provider)',
  ttsByteToHeard: 'TTS audio → caller hears it (agent, WebRTC)',
};

export const PROVIDER_TIMELINE_STAGES: readonly TimelineStage[] = ['sttFinal', 'llmFirstToken', 'ttsFirstByte'];

export interface TurnTimeline {
  text: string;
  voice?: string;
  endToEndMs: number;
  /** Absent where the provider log had no matching request (e.g. a turn answered from an interrupted generation). */
  stages: Partial<Record<TimelineStage, number>>;
  /** Provider time on the critical path: inside [end of speech + endpointing silence, heard]. */
  providerMs?: number;
  /** End to end minus the endpointing silence and the provider time on the critical path. */
  overheadMs?: number;
}

/**
 * Places the providers' view of a turn (the local providers' request log, same clock) between the
 * caller's end of speech and the moment it heard the reply. The requests that produced the reply are
 * the last ones of each stage before it was heard: earlier ones were cancelled or superseded.
 */
export function turnTimeline(turn: CallerTurn, requests: readonly RequestRecord[], endpointingSilenceMs: number): TurnTimeline {
  const { speechStartAt: from, heardAt } = turn;
  const last = (stage: RequestRecord['stage'], ok: (r: RequestRecord) => boolean) =>
    requests
      .filter((r) => r.stage === stage && ok(r))
      .sort((a, b) => a.startedAt - b.startedAt)
      .at(-1);
  const tts = last('tts', (r) => r.startedAt >= from && r.firstOutputAt !== undefined && r.firstOutputAt <= heardAt);
  const llm = tts && last('llm', (r) => r.startedAt >= from && r.startedAt <= tts.startedAt && r.firstOutputAt !== undefined);
  const stt = llm && last('stt', (r) => r.outcome === 'completed' && r.endedAt! >= from && r.endedAt! <= llm.startedAt);

  const endToEndMs = heardAt - turn.speechEndAt;
  if (!tts || !llm || !stt) return { text: turn.text, voice: turn.voice, endToEndMs, stages: {} };
  const points = [
    turn.speechEndAt,
    stt.startedAt,
    stt.endedAt!,
    llm.startedAt,
    llm.firstOutputAt!,
    tts.startedAt,
    tts.firstOutputAt!,
    heardAt,
  ];
  const stages = Object.fromEntries(TIMELINE_STAGES.map((name, i) => [name, points[i + 1]! - points[i]!])) as Record<TimelineStage, number>;
  const window: [number, number] = [turn.speechEndAt + endpointingSilenceMs, heardAt];
  const providerMs = unionLength(
    [
      [stt.startedAt, stt.endedAt!],
      [llm.startedAt, llm.firstOutputAt!],
      [tts.startedAt, tts.firstOutputAt!],
    ],
    window,
  );
  return { text: turn.text, voice: turn.voice, endToEndMs, stages, providerMs, overheadMs: endToEndMs - endpointingSilenceMs - providerMs };
}

/** Total length of the union of intervals, clipped to `within`. */
export function unionLength(intervals: [number, number][], within: [number, number]): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, within[0]), Math.min(b, within[1])])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of clipped) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}
