/**
 * One user turn and the agent's reply to it. Durations are in ms after the user stopped speaking
 * (VAD end of speech), except the per-node figures, which are measured from the start of their node.
 */
export interface TurnLatencyRecord {
  userText: string;
  agentText: string;
  /** The caller talked over the reply (the message holds only what was heard). */
  interrupted: boolean;
  /** Epoch ms at which the user stopped speaking. */
  userStoppedSpeakingAt: number;
  /** End of speech to the decision that the user's turn is over. */
  endOfTurnMs?: number;
  /** End of speech to the final transcript. */
  transcriptMs?: number;
  /** LLM request start to first token. */
  llmTtftMs?: number;
  /** TTS request start to first audio byte. */
  ttsTtfbMs?: number;
  /** End of speech to the first agent audio frame handed to the room: the end-to-end latency. */
  firstAudioMs?: number;
}

export type TurnLatencyField = 'endOfTurnMs' | 'transcriptMs' | 'llmTtftMs' | 'ttsTtfbMs' | 'firstAudioMs';
export const TURN_LATENCY_FIELDS: readonly TurnLatencyField[] = ['endOfTurnMs', 'transcriptMs', 'llmTtftMs', 'ttsTtfbMs', 'firstAudioMs'];

/**
 * The data-message topic on which the agent publishes each turn's record to its room, for the
 * caller's page to show (web/client).
 */
export const TURN_RECORD_TOPIC = 'agent.turn-latency';

/** What the room is told of a turn: its number and timings, not its words (the transcript carries those). */
export type PublishedTurnRecord = Omit<TurnLatencyRecord, 'userText' | 'agentText'> & { turn: number };

/**
 * A turn record from untrusted JSON (a job's report to its worker, a worker's log line): only the
 * record's own fields, or what is wrong with the first bad one.
 */
export function parseTurnLatencyRecord(value: unknown): { record: TurnLatencyRecord } | { error: string } {
  if (typeof value !== 'object' || value === null) return { error: 'not an object' };
  const v = value as Record<string, unknown>;
  for (const key of ['userText', 'agentText'] as const) if (typeof v[key] !== 'string') return { error: `${key}: a string` };
  if (typeof v.interrupted !== 'boolean') return { error: 'interrupted: true or false' };
  if (typeof v.userStoppedSpeakingAt !== 'number' || !Number.isFinite(v.userStoppedSpeakingAt))
    return { error: 'userStoppedSpeakingAt: a number' };
  const record: TurnLatencyRecord = {
    userText: v.userText as string,
    agentText: v.agentText as string,
    interrupted: v.interrupted,
    userStoppedSpeakingAt: v.userStoppedSpeakingAt,
  };
  for (const field of TURN_LATENCY_FIELDS) {
    const ms = v[field];
    if (ms === undefined) continue;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return { error: `${field}: a duration in ms, 0 or more` };
    record[field] = ms;
  }
  return { record };
}
