import { Counter, Histogram, Registry } from 'prom-client';
import type { TurnLatencyField, TurnLatencyRecord } from '../../contracts/turn-record.js';

/** Prometheus names of the stages; `end_to_end` is end of user speech to first agent audio. */
const PROMETHEUS_STAGES: Record<TurnLatencyField, string> = {
  endOfTurnMs: 'end_of_turn',
  transcriptMs: 'transcript',
  llmTtftMs: 'llm_ttft',
  ttsTtfbMs: 'tts_ttfb',
  firstAudioMs: 'end_to_end',
};

/** Seconds; dense where a voice agent's budget is decided (0.1-1.5 s). */
const BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10];

export interface ProviderLabels {
  stt: string;
  llm: string;
  tts: string;
}

/** Per-turn latency histograms and turn counts of one worker, in their own registry (no global state). */
export class TurnMetrics {
  readonly registry = new Registry();
  readonly #latency: Histogram<'stage' | keyof ProviderLabels>;
  readonly #turns: Counter<'interrupted' | keyof ProviderLabels>;

  constructor(private readonly providers: ProviderLabels) {
    this.#latency = new Histogram({
      name: 'voice_agent_turn_latency_seconds',
      help: 'Per-turn latency of each stage, measured from the end of the user speech (per-node figures from their node start)',
      labelNames: ['stage', 'stt', 'llm', 'tts'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
    this.#turns = new Counter({
      name: 'voice_agent_turns_total',
      help: 'User turns answered by the agent',
      labelNames: ['interrupted', 'stt', 'llm', 'tts'],
      registers: [this.registry],
    });
  }

  observe(record: TurnLatencyRecord): void {
    for (const [stage, label] of Object.entries(PROMETHEUS_STAGES) as [TurnLatencyField, string][]) {
      const ms = record[stage];
      if (ms !== undefined) this.#latency.observe({ stage: label, ...this.providers }, ms / 1000);
    }
    this.#turns.inc({ interrupted: String(record.interrupted), ...this.providers });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
