import type { ServerResponse } from 'node:http';
import { clientGoneSignal, sendOpenAIError } from './http-util.js';
import type { RequestLog, RequestRecord } from './request-log.js';
import type { Stage, StageBehaviour } from './stage-behaviour.js';

export interface HttpRequestScope {
  record: RequestRecord;
  /** Aborted when the client goes away before the reply is complete (the request is logged as cancelled). */
  signal: AbortSignal;
  /** A `drop` fault is armed for a streamed reply: the handler cuts the connection mid-reply. */
  drop: boolean;
}

/**
 * Opens the log record of one HTTP provider request and applies the fault armed for its stage.
 * `http500`, `stall`, and `drop` for a reply sent in one piece (`streamed: false`) are answered
 * here: the handler gets no scope and returns.
 */
export function beginHttpRequest(
  res: ServerResponse,
  stage: Stage,
  input: unknown,
  deps: { behaviour: StageBehaviour; log: RequestLog },
  opts: { streamed: boolean },
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
  if (fault === 'drop' && !opts.streamed) {
    deps.log.end(record, 'fault:drop');
    res.destroy();
    return undefined;
  }
  return { record, signal, drop: fault === 'drop' };
}
