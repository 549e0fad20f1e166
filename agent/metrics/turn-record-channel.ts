import { log } from '@livekit/agents';
import type { TurnLatencyRecord } from '../../contracts/turn-record.js';

/** A record is a few hundred bytes; the worker stops reading a body longer than this. */
export const MAX_TURN_RECORD_BYTES = 64 * 1024;

/**
 * Where the worker takes its jobs' turn records, and the token that proves a record comes from one
 * of them: the endpoint answers on loopback, where any local process (a browser page included) can reach it.
 */
export interface TurnRecordsEndpoint {
  url: string;
  token: string;
}

/**
 * Job processes are forked by the framework, and the worker's HTTP port lives in the parent. The
 * parent names its endpoint for turn records in these variables, which forked jobs inherit.
 */
const URL_ENV = 'AGENT_TURN_RECORDS_URL';
const TOKEN_ENV = 'AGENT_TURN_RECORDS_TOKEN';

/** The variables that hand `endpoint` to the job processes. */
export function turnRecordsEnv(endpoint: TurnRecordsEndpoint): Record<string, string> {
  return { [URL_ENV]: endpoint.url, [TOKEN_ENV]: endpoint.token };
}

/** The `authorization` header a job sends its records with. */
export function turnRecordsAuthorization(token: string): string {
  return `Bearer ${token}`;
}

/** Sends a job's turn records to the worker process; a lost record costs a metric sample, never the call. */
export function turnRecordSink(env: NodeJS.ProcessEnv = process.env): ((record: TurnLatencyRecord) => void) | undefined {
  const url = env[URL_ENV];
  const token = env[TOKEN_ENV];
  if (!url || !token) return undefined;
  const logger = log().child({ component: 'turn-record-sink' });
  return (record) => {
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: turnRecordsAuthorization(token) },
      body: JSON.stringify(record),
      signal: AbortSignal.timeout(2000),
    })
      .then((res) => {
        if (!res.ok) logger.warn({ status: res.status }, 'worker refused a turn record');
      })
      .catch((e: unknown) => logger.warn({ cause: (e as Error).message }, 'could not send a turn record to the worker'));
  };
}
