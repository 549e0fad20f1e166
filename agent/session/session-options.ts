import type { voice } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';

type SessionOptions = voice.AgentSessionOptions;

/**
 * Turn handling and retry settings for the AgentSession.
 * Turn detection and interruption mode are pinned to VAD: left unset, the framework prefers LiveKit's
 * cloud models (and does so in `dev` mode), which an offline or self-hosted worker cannot reach.
 */
export function sessionOptions(cfg: AgentConfig): Pick<SessionOptions, 'turnHandling' | 'connOptions'> {
  const requests = {
    maxRetry: cfg.providerRequests.maxRetry,
    retryIntervalMs: cfg.providerRequests.retryIntervalMs,
    timeoutMs: cfg.providerRequests.timeoutMs,
  };
  return {
    turnHandling: {
      turnDetection: 'vad',
      endpointing: {
        mode: 'fixed',
        minDelay: cfg.turn.minEndpointingDelayMs,
        maxDelay: cfg.turn.maxEndpointingDelayMs,
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
