import { log } from '@livekit/agents';
import { z } from 'zod';
import type { TurnLatencyRecord } from './turn-latency-tracer.js';

const ms = z.number().finite().min(0).optional();

/** What the worker accepts from its jobs: a {@link TurnLatencyRecord}. */
export const turnLatencyRecordSchema = z.object({
  userText: z.string(),
  agentText: z.string(),
  interrupted: z.boolean(),
  userStoppedSpeakingAt: z.number(),
  endOfTurnMs: ms,
  transcriptMs: ms,
  llmTtftMs: ms,
  ttsTtfbMs: ms,
  firstAudioMs: ms,
}) satisfies z.ZodType<TurnLatencyRecord>;

/**
 * Job processes are forked by the framework, and the worker's HTTP port lives in the parent. The
 * parent names its loopback endpoint for turn records in this variable, which forked jobs inherit.
 */
export const TURN_RECORDS_URL_ENV = 'AGENT_TURN_RECORDS_URL';

/** Sends a job's turn records to the worker process; a lost record costs a metric sample, never the call. */
export function turnRecordSink(env: NodeJS.ProcessEnv = process.env): ((record: TurnLatencyRecord) => void) | undefined {
  const url = env[TURN_RECORDS_URL_ENV];
  if (!url) return undefined;
  const logger = log().child({ component: 'turn-record-sink' });
  return (record) => {
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(record),
      signal: AbortSignal.timeout(2000),
    })
      .then((res) => {
        if (!res.ok) logger.warn({ status: res.status }, 'worker refused a turn record');
      })
      .catch((e: unknown) => logger.warn({ cause: (e as Error).message }, 'could not send a turn record to the worker'));
  };
}
