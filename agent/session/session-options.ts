import { inference, type voice } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';
import { type EndpointingPolicy, endpointingDelays } from './turn-taking/endpointing-policy.js';
import type { TurnEndDetector } from './turn-taking/turn-end-detector.js';
import type { TurnEndStages } from './turn-taking/turn-end-model.js';

type SessionOptions = voice.AgentSessionOptions;

/** The endpointing policy the configuration sets (agent/session/turn-taking/endpointing-policy.ts). */
export function endpointingPolicy(turn: AgentConfig['turn']): EndpointingPolicy {
  return {
    completeDelayMs: turn.minEndpointingDelayMs,
    unsureDelayMs: turn.maxEndpointingDelayMs,
    unfinishedDelayMs: turn.unfinishedDelayMs,
    phoneExtraDelayMs: turn.phoneExtraDelayMs,
    transcriptWaitMs: turn.transcriptWaitMs,
  };
}

/** The combined detector's stages (turn-end-model.ts), a phone line's extra wait included. */
export function turnEndStages(turn: AgentConfig['turn'], phoneLine: boolean): TurnEndStages {
  const extra = phoneLine ? turn.phoneExtraDelayMs : 0;
  return {
    doneAbove: turn.doneThreshold,
    unsureAbove: turn.unsureThreshold,
    doneDelayMs: turn.minEndpointingDelayMs + extra,
    unsureDelayMs: turn.unsureDelayMs + extra,
    notDoneDelayMs: turn.maxEndpointingDelayMs + extra,
  };
}

/**
 * Turn handling and retry settings for the AgentSession. Turn detection and interruption mode are
 * pinned to local models: left unset, the framework prefers LiveKit's cloud models (and does so in
 * `dev` mode), which an offline or self-hosted worker cannot reach. With `combined` the session takes
 * the call's TurnEndDetector; with `model` the end-of-turn model is pinned to `v1-mini`, which runs
 * in the worker's shared inference process (loaded when the worker starts, before any call); built
 * here, inside the job, so it finds that process through the job context.
 */
export function sessionOptions(
  cfg: AgentConfig,
  opts: { phoneLine: boolean; turnEndDetector?: TurnEndDetector },
): Pick<SessionOptions, 'turnHandling' | 'connOptions'> {
  const requests = {
    maxRetry: cfg.providerRequests.maxRetry,
    retryIntervalMs: cfg.providerRequests.retryIntervalMs,
    timeoutMs: cfg.providerRequests.timeoutMs,
  };
  const { detector } = cfg.turn;
  if (detector === 'combined' && !opts.turnEndDetector) throw new Error('the combined turn detector needs its TurnEndDetector');
  return {
    turnHandling: {
      turnDetection:
        detector === 'combined'
          ? opts.turnEndDetector
          : detector === 'model'
            ? new inference.TurnDetector({ version: 'v1-mini', unlikelyThreshold: cfg.turn.modelThreshold })
            : 'vad',
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
