import type { FaultKind, ProviderStage } from './stage-behaviour.js';

export type RequestOutcome = 'completed' | 'cancelled' | `fault:${FaultKind}` | 'error';

/** One provider request as the local server saw it; tests read these to check what the agent sent. */
export interface RequestRecord {
  id: number;
  stage: ProviderStage;
  /** What was asked: the chat messages (llm), the text to speak (tts), the audio length (stt). */
  input: unknown;
  /** What was answered: reply text (llm), transcript (stt), seconds of audio (tts). */
  output?: unknown;
  /** TTS: every word sent, with its time in seconds from the start of the audio (what a listener heard up to a point). */
  spokenWords?: { word: string; start: number; end: number }[];
  startedAt: number;
  /** When the first piece of the answer went out: first token (llm), first audio (tts); benchmarks time stages by it. */
  firstOutputAt?: number;
  endedAt?: number;
  outcome?: RequestOutcome;
}

/** A bounded, in-memory log of recent requests (oldest dropped first). */
export class RequestLog {
  readonly #records: RequestRecord[] = [];
  #nextId = 1;

  constructor(private readonly capacity = 500) {}

  begin(stage: ProviderStage, input: unknown): RequestRecord {
    const record: RequestRecord = { id: this.#nextId++, stage, input, startedAt: Date.now() };
    this.#records.push(record);
    if (this.#records.length > this.capacity) this.#records.shift();
    return record;
  }

  firstOutput(record: RequestRecord): void {
    record.firstOutputAt ??= Date.now();
  }

  end(record: RequestRecord, outcome: RequestOutcome, output?: unknown): void {
    if (record.outcome) return; // first ending wins: a cancel after completion is not a cancel
    record.outcome = outcome;
    record.endedAt = Date.now();
    if (output !== undefined) record.output = output;
  }

  list(stage?: ProviderStage): RequestRecord[] {
    return this.#records.filter((r) => !stage || r.stage === stage);
  }

  clear(): void {
    this.#records.length = 0;
  }
}
