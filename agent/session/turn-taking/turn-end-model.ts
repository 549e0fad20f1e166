import { endsUnfinished } from './endpointing-policy.js';

/** What is known of the caller's words when the end of their turn is decided. */
export interface TurnEndEvidence {
  /** The caller's words so far, as the STT gave them. */
  words: string;
  /** The text end-of-turn model's probabilities (plugins/text-end-of-turn), when it answered in time. */
  text?: { sentenceEnd: number };
}

/**
 * A logistic model over the evidence: each weight multiplies its signal's log-odds (the rule's 0 or 1).
 * The text model's other score, the end of the caller's message, is not among them: fitted beside
 * the sentence end it took a negative weight (the two move together), so a surer "not finished" made
 * the caller more likely done, and it added nothing (AUC 0.780 with it, 0.785 without, clean dev).
 */
export interface TurnEndWeights {
  intercept: number;
  sentenceEnd: number;
  /** The words end where speakers go on (endpointing-policy.ts: a digit, "um", "and", "the"…). */
  unfinishedWord: number;
}

/**
 * The weights, fitted by `npm run bench -- turn-taking` on its development split (logistic
 * regression on the 1,846 points where the framework asks, under the four conditions, labelled by
 * whether the caller had finished; AUC 0.78 on clean dev speech, 0.74 held out). The audio model
 * (turn-detector-v1-mini) is not among them: fitted beside the text one it took a weight of 0.15
 * and moved the clean AUC by less than 0.01 (its own: 0.64), and reading its score here would mean
 * running its stream beside the framework's. The rule's weight is near nothing: the recognizer
 * rarely writes the digits and fillers it looks for (flite's "four seven" came out "r c n n").
 */
export const TURN_END_WEIGHTS: TurnEndWeights = { intercept: 0.643, sentenceEnd: 0.236, unfinishedWord: -0.058 };

/** The log-odds of a probability, bounded: the text model gives fragments 1e-12 and less. */
export function logOdds(p: number): number {
  const bounded = Math.min(1 - 1e-6, Math.max(1e-9, p));
  return Math.log(bounded / (1 - bounded));
}

type Feature = Exclude<keyof TurnEndWeights, 'intercept'>;

/** The features the weights apply to (the benchmark fits them on these); a model's are absent without its answer. */
export function turnEndFeatures(evidence: TurnEndEvidence): Partial<Record<Feature, number>> {
  return {
    sentenceEnd: evidence.text && logOdds(evidence.text.sentenceEnd),
    unfinishedWord: endsUnfinished(evidence.words) ? 1 : 0,
  };
}

/** The probability that the caller has finished; undefined when the model did not answer and the weights use it. */
export function turnEndProbability(evidence: TurnEndEvidence, weights: TurnEndWeights): number | undefined {
  const features = turnEndFeatures(evidence);
  let z = weights.intercept;
  for (const [name, value] of Object.entries(features) as [Feature, number | undefined][]) {
    if (weights[name] === 0) continue;
    if (value === undefined) return undefined;
    z += weights[name] * value;
  }
  return 1 / (1 + Math.exp(-z));
}

/**
 * How long to wait after the caller's last speech, by how sure the model is that they are done:
 * at once when it is sure, a while when it is not, longest when it says they are not done; the
 * longest wait is the ceiling. Without the model's answer, the middle wait.
 */
export interface TurnEndStages {
  doneAbove: number;
  unsureAbove: number;
  doneDelayMs: number;
  unsureDelayMs: number;
  notDoneDelayMs: number;
}

export function turnEndDelay(probability: number | undefined, stages: TurnEndStages): number {
  if (probability === undefined) return stages.unsureDelayMs;
  if (probability >= stages.doneAbove) return stages.doneDelayMs;
  return probability >= stages.unsureAbove ? stages.unsureDelayMs : stages.notDoneDelayMs;
}
