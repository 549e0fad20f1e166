import type { ServerResponse } from 'node:http';
import { clientGoneSignal, sendOpenAIError } from './http-util.js';
import { type FaultTransport, type ProviderDeps, ProviderRequest } from './provider-request.js';
import type { ProviderStage } from './stage-behaviour.js';

export interface HttpProviderRequest {
  request: ProviderRequest;
  /** How a fault reaches the client: a 500 in OpenAI's error shape, or a cut connection. */
  transport: FaultTransport;
  /** Aborted when the client goes away before the reply is complete (the request is logged as cancelled). */
  signal: AbortSignal;
}

/**
 * Begins an HTTP provider request. Returns undefined when its fault took it (`http500`, `stall`,
 * or `drop` for a reply sent in one piece: `streamed: false`); a streamed reply checks `cutHere`
 * once part of it has gone out.
 */
export function beginHttpRequest(
  res: ServerResponse,
  stage: ProviderStage,
  input: unknown,
  deps: ProviderDeps,
  opts: { streamed: boolean },
): HttpProviderRequest | undefined {
  const request = new ProviderRequest(stage, input, deps);
  const signal = clientGoneSignal(res);
  signal.addEventListener('abort', () => request.end('cancelled'), { once: true });
  const transport: FaultTransport = {
    fail: (message) => sendOpenAIError(res, 500, message),
    cut: () => res.destroy(),
  };
  if (!request.admit(transport)) return undefined;
  if (!opts.streamed && request.cutHere(transport)) return undefined;
  return { request, transport, signal };
}
