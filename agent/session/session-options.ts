import { inference, type voice } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';
import { type EndpointingPolicy, endpointingDelays } from './endpointing-policy.js';

type SessionOptions = voice.AgentSessionOptions;

/** The endpointing policy the configuration sets (agent/session/endpointing-policy.ts). */
export function endpointingPolicy(turn: AgentConfig['turn']): EndpointingPolicy {
  return {
    completeDelayMs: turn.minEndpointingDelayMs,
    unsureDelayMs: turn.maxEndpointingDelayMs,
    unfinishedDelayMs: turn.unfinishedDelayMs,
    phoneExtraDelayMs: turn.phoneExtraDelayMs,
    transcriptWaitMs: turn.transcriptWaitMs,
  };
}

/**
 * Turn handling and retry settings for the AgentSession. Turn detection and interruption mode are
 * pinned to local models: left unset, the framework prefers LiveKit's cloud models (and does so in
 * `dev` mode), which an offline or self-hosted worker cannot reach. The end-of-turn model is pinned
 * to `v1-mini`, which runs in the worker's shared inference process (loaded when the worker starts,
 * before any call); built here, inside the job, so it finds that process through the job context.
 */
export function sessionOptions(cfg: AgentConfig, opts: { phoneLine: boolean }): Pick<SessionOptions, 'turnHandling' | 'connOptions'> {
  const requests = {
    maxRetry: cfg.providerRequests.maxRetry,
    retryIntervalMs: cfg.providerRequests.retryIntervalMs,
    timeoutMs: cfg.providerRequests.timeoutMs,
  };
  const model = cfg.turn.detector === 'model';
  return {
    turnHandling: {
      turnDetection: model ? new inference.TurnDetector({ version: 'v1-mini', unlikelyThreshold: cfg.turn.modelThreshold }) : 'vad',
      endpointing: {
        mode: 'fixed',
        ...endpointingDelays({ unfinished: false, phoneLine: opts.phoneLine, transcriptPending: false }, endpointingPolicy(cfg.turn)),
      },
      interruption: {
        enabled: true,
        mode: 'vad',
        minDuration: cfg.turn.minInterruptionDurationMs,
        minWords: cfg.turn.minInterruptionWords,
        falseInterruptionTimeout: cfg.turn.falseInterruptionTimeoutMs,
        resumeFalseInterruption: cfg.turn.resumeFalseInterruption,
      },
      preemptiveGeneration: { enabled: cfg.turn.preemptiveGeneration, preemptiveTts: cfg.turn.preemptiveTts },
    },
    connOptions: { sttConnOptions: requests, llmConnOptions: requests, ttsConnOptions: requests },
  };
}
