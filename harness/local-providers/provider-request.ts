import type { RequestLog, RequestOutcome, RequestRecord } from './request-log.js';
import type { FaultKind, ProviderStage, StageBehaviour } from './stage-behaviour.js';

/** How a route's transport carries out a fault. */
export interface FaultTransport {
  /** Answers with a server error (`http500`): an HTTP 500, or the protocol's error message on a socket. */
  fail(message: string): void;
  /** Cuts the connection (`drop`). */
  cut(): void;
}

export interface ProviderDeps {
  behaviour: StageBehaviour;
  log: RequestLog;
}

/**
 * One request to a provider stage, as every route handles it: its record in the request log, and
 * the fault armed for it, applied at the same two points whatever the protocol:
 * - `admit`, before answering: `http500` answers with an error, `stall` never answers (the client's
 *   timeout must fire);
 * - `cutHere`, once part of the answer has gone out: `drop` cuts the connection there.
 */
export class ProviderRequest {
  readonly record: RequestRecord;
  readonly #fault?: FaultKind;

  constructor(
    stage: ProviderStage,
    input: unknown,
    private readonly deps: ProviderDeps,
  ) {
    this.record = deps.log.begin(stage, input);
    this.#fault = deps.behaviour.takeFault(stage);
  }

  /** Whether the request is to be answered; when not, the fault has been carried out. */
  admit(transport: FaultTransport): boolean {
    if (this.#fault === 'http500') {
      this.end('fault:http500');
      transport.fail('injected fault: internal server error');
      return false;
    }
    if (this.#fault === 'stall') {
      this.end('fault:stall');
      return false;
    }
    return true;
  }

  /** Whether a `drop` fault cut the connection here (it has, when true: stop answering). */
  cutHere(transport: FaultTransport): boolean {
    if (this.#fault !== 'drop') return false;
    this.end('fault:drop');
    transport.cut();
    return true;
  }

  /** The first piece of the answer went out (first token, first audio): benchmarks time stages by it. */
  firstOutput(): void {
    this.deps.log.firstOutput(this.record);
  }

  /** The first ending counts: a cancel after completion is not a cancel. */
  end(outcome: RequestOutcome, output?: unknown): void {
    this.deps.log.end(this.record, outcome, output);
  }
}
