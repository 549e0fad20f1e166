import { isRecord } from './json';

/** One turn's latencies in ms, as the agent publishes them. */
export interface TurnLatency {
  turn: number;
  userText?: string;
  /** End of speech to the decision that the user's turn is over. */
  endOfTurnMs?: number;
  /** End of speech to the final transcript. */
  transcriptMs?: number;
  /** LLM request start to first token. */
  llmTtftMs?: number;
  /** TTS request start to first audio byte. */
  ttsTtfbMs?: number;
  /** End of speech to the agent's first audio: the end-to-end latency. */
  firstAudioMs?: number;
  interrupted?: boolean;
}

const DURATION_FIELDS = ['endOfTurnMs', 'transcriptMs', 'llmTtftMs', 'ttsTtfbMs', 'firstAudioMs'] as const;

/** The record in a data message, or undefined for anything malformed. */
export function parseTurnLatency(payload: Uint8Array): TurnLatency | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { turn, userText, interrupted } = value;
  if (typeof turn !== 'number' || !Number.isSafeInteger(turn) || turn < 0) return undefined;
  if (userText !== undefined && typeof userText !== 'string') return undefined;
  if (interrupted !== undefined && typeof interrupted !== 'boolean') return undefined;

  const record: TurnLatency = { turn };
  if (userText !== undefined) record.userText = userText;
  if (interrupted !== undefined) record.interrupted = interrupted;
  for (const field of DURATION_FIELDS) {
    const ms = value[field];
    if (ms === undefined) continue;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
    record[field] = ms;
  }
  return record;
}
