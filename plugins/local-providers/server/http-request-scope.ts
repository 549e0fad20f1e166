import type { ServerResponse } from 'node:http';
import { clientGoneSignal, sendOpenAIError } from './http-util.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import type { Stage, StageBehaviour } from './stage-behaviour.js';

export interface HttpRequestScope {
  record: RequestRecord;
  /** Aborted when the client goes away before the reply is complete (the request is logged as cancelled). */
  signal: AbortSignal;
  /** A `drop` fault is armed: the handler cuts the connection where a real outage would (mid-reply). */
  drop: boolean;
}

/**
 * Opens the log record of one HTTP provider request and applies the fault armed for its stage.
 * `http500` and `stall` are answered here; the handler gets no scope and returns.
 */
export function beginHttpRequest(
  res: ServerResponse,
  stage: Stage,
  input: unknown,
  deps: { behaviour: StageBehaviour; log: RequestLog },
): HttpRequestScope | undefined {
  const record = deps.log.begin(stage, input);
  const signal = clientGoneSignal(res);
  signal.addEventListener('abort', () => deps.log.end(record, 'cancelled'), { once: true });
  const fault = deps.behaviour.takeFault(stage);
  if (fault === 'http500') {
    deps.log.end(record, 'fault:http500');
    sendOpenAIError(res, 500, 'injected fault: internal server error');
    return undefined;
  }
  if (fault === 'stall') {
    deps.log.end(record, 'fault:stall');
    return undefined; // the response stays open until the client gives up
  }
  return { record, signal, drop: fault === 'drop' };
}
