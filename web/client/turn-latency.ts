import { type PublishedTurnRecord, TURN_LATENCY_FIELDS } from '../../contracts/turn-record';
import { isRecord } from './json';

/** One turn's latencies in ms, as the agent publishes them (contracts/turn-record.ts), each part optional. */
export type TurnLatency = Pick<PublishedTurnRecord, 'turn'> & Partial<Omit<PublishedTurnRecord, 'turn' | 'userStoppedSpeakingAt'>>;

/** The record in a data message, or undefined for anything malformed. */
export function parseTurnLatency(payload: Uint8Array): TurnLatency | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { turn, interrupted } = value;
  if (typeof turn !== 'number' || !Number.isSafeInteger(turn) || turn < 0) return undefined;
  if (interrupted !== undefined && typeof interrupted !== 'boolean') return undefined;

  const record: TurnLatency = { turn };
  if (interrupted !== undefined) record.interrupted = interrupted;
  for (const field of TURN_LATENCY_FIELDS) {
    const ms = value[field];
    if (ms === undefined) continue;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
    record[field] = ms;
  }
  return record;
}
