import { z } from 'zod';
import { MAX_FAULT_COUNT } from './limits.js';

/** The provider stages whose latency and failures can be shaped. */
export const PROVIDER_STAGES = ['stt', 'llm', 'tts'] as const;
export type ProviderStage = (typeof PROVIDER_STAGES)[number];

/**
 * Failures a stage can be told to produce for its next requests:
 * `http500` answers with a server error, `drop` sends part of the reply then cuts the connection,
 * `stall` accepts the request and never answers (the client's timeout must fire).
 */
export const FAULT_KINDS = ['http500', 'drop', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const latencySchema = z
  .object({
    sttDelayMs: z.number().min(0),
    llmTtftMs: z.number().min(0),
    /** Pace of streamed LLM tokens; 0 sends them as fast as possible. */
    llmTokensPerSecond: z.number().min(0),
    ttsTtfbMs: z.number().min(0),
  })
  .strict();
export type LatencyProfile = z.infer<typeof latencySchema>;

/** Named profiles used by benchmarks; `typical` approximates hosted cloud providers. */
export const LATENCY_PROFILES = {
  zero: { sttDelayMs: 0, llmTtftMs: 0, llmTokensPerSecond: 0, ttsTtfbMs: 0 },
  typical: { sttDelayMs: 150, llmTtftMs: 300, llmTokensPerSecond: 50, ttsTtfbMs: 100 },
} as const satisfies Record<string, LatencyProfile>;
export type LatencyProfileName = keyof typeof LATENCY_PROFILES;
export const LATENCY_PROFILE_NAMES = Object.keys(LATENCY_PROFILES) as [LatencyProfileName, ...LatencyProfileName[]];

/** `name` as a profile name, or an error naming `option` and the profiles there are. */
export function latencyProfileNamed(name: string, option: string): LatencyProfileName {
  if ((LATENCY_PROFILE_NAMES as string[]).includes(name)) return name as LatencyProfileName;
  throw new Error(`${option}: expected one of ${LATENCY_PROFILE_NAMES.join(', ')}, got '${name}'`);
}

export const faultRequestSchema = z
  .object({
    stage: z.enum(PROVIDER_STAGES),
    kind: z.enum(FAULT_KINDS),
    /** How many of the stage's next requests fail this way. */
    count: z.number().int().positive().max(MAX_FAULT_COUNT).default(1),
  })
  .strict();

/** Latency and queued faults per stage, shared by every route of one server. */
export class StageBehaviour {
  latency: LatencyProfile;
  readonly #faults: Record<ProviderStage, FaultKind[]> = { stt: [], llm: [], tts: [] };

  constructor(latency: LatencyProfile = LATENCY_PROFILES.zero) {
    this.latency = { ...latency };
  }

  injectFault(stage: ProviderStage, kind: FaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.#faults[stage].push(kind);
  }

  /** The fault the next request of this stage must produce, if any (consumed). */
  takeFault(stage: ProviderStage): FaultKind | undefined {
    return this.#faults[stage].shift();
  }

  /** Disarms the stage's faults not yet hit. */
  clearFaults(stage: ProviderStage): void {
    this.#faults[stage] = [];
  }

  pendingFaults(): Record<ProviderStage, FaultKind[]> {
    return { stt: [...this.#faults.stt], llm: [...this.#faults.llm], tts: [...this.#faults.tts] };
  }

  reset(latency: LatencyProfile = LATENCY_PROFILES.zero): void {
    this.latency = { ...latency };
    for (const stage of PROVIDER_STAGES) this.#faults[stage] = [];
  }
}

/** Resolves after `ms`, or rejects as soon as the request is aborted (client went away). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
