import { type EndpointingPolicy, endpointingDelays, endsUnfinished } from '../../agent/session/turn-taking/endpointing-policy.js';
import {
  type TurnEndStages,
  type TurnEndWeights,
  turnEndDelay,
  turnEndProbability,
} from '../../agent/session/turn-taking/turn-end-model.js';
import type { TurnReplay } from './collect.js';
import type { Detector, Trigger } from './framework-replay.js';

/**
 * The agent before this round (its defaults until then): the audio end-of-turn model choosing
 * between the policy's "done" and "not done" delays at its threshold, the policy (unfinished words,
 * a transcript owed) setting both delays, the provider committing utterances after its own silence.
 */
export interface ModelAndPolicySetting {
  modelThreshold: number;
  policy: EndpointingPolicy;
  phoneLine: boolean;
}

export function modelAndPolicy(replay: TurnReplay, setting: ModelAndPolicySetting): Detector {
  return (t: Trigger) => {
    const delays = endpointingDelays(
      { unfinished: endsUnfinished(t.transcript), phoneLine: setting.phoneLine, transcriptPending: t.owed },
      setting.policy,
    );
    const audio = replay.audio[t.segment];
    // No prediction (not asked in time): the framework takes the "done" delay.
    const done = audio === undefined || audio.probability >= setting.modelThreshold;
    return { delayMs: done ? delays.minDelay : delays.maxDelay, latencyMs: Math.max(0, (audio?.readyAt ?? t.at) - t.at) };
  };
}

/** This round's detector: the text end-of-turn scores and the policy's rule, combined (turn-end-model.ts). */
export interface CombinedSetting {
  weights: TurnEndWeights;
  stages: TurnEndStages;
  /** The longest wait for a transcript the STT owes. */
  transcriptWaitMs: number;
}

export function combined(replay: TurnReplay, setting: CombinedSetting): Detector {
  return (t: Trigger) => {
    if (t.owed) return { delayMs: setting.transcriptWaitMs, latencyMs: 0 };
    const text = replay.text.get(t.transcript);
    const p = turnEndProbability({ words: t.transcript, text }, setting.weights);
    // The score starts when the transcript arrives (the last final).
    const lastFinal = replay.stt.filter((u) => u.finalAt <= t.at && u.text).at(-1)?.finalAt ?? t.at;
    const ready = text ? lastFinal + text.latencyMs : t.at;
    return { delayMs: turnEndDelay(p, setting.stages), latencyMs: Math.max(0, ready - t.at) };
  };
}

/** Every decision point of a replay, with the evidence the combined detector would have: what the model is fitted on. */
export interface TriggerSample {
  replay: TurnReplay;
  trigger: Trigger;
  /** The caller had finished at this trigger (its last speech is the turn's end). */
  done: boolean;
}
