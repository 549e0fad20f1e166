import { normalizeWords } from '../../../contracts/words.js';

/** How long to wait after the caller's last speech before the turn is over, by what is known of it (ms). */
export interface EndpointingPolicy {
  /** The end-of-turn model says the caller is done. */
  completeDelayMs: number;
  /** The model says the caller is not done (or there is no model answer yet to trust). */
  unsureDelayMs: number;
  /** The last word says more is coming: a digit being dictated, "um", "and", "the", "is". */
  unfinishedDelayMs: number;
  /** Added to each on a phone line, where 8 kHz speech leaves the model and the VAD less to go on. */
  phoneExtraDelayMs: number;
  /** The longest wait for a transcript the STT owes (see TurnSignals.transcriptPending). */
  transcriptWaitMs: number;
}

/** What is known of the caller's turn when the delays are chosen. */
export interface TurnSignals {
  /** The words so far end where a speaker goes on (endsUnfinished). */
  unfinished: boolean;
  /** The caller is on a phone line. */
  phoneLine: boolean;
  /**
   * The STT has heard speech whose final transcript it has not sent yet. The turn cannot end on
   * the words it has: the caller said more, and a final that comes after the turn is committed
   * starts a second turn that cuts the first one's reply.
   */
  transcriptPending: boolean;
}

/** What the framework takes: the delay when the end-of-turn model says done (min) and when it says not (max). */
export interface EndpointingDelays {
  minDelay: number;
  maxDelay: number;
}

/**
 * Last words after which a caller is not done, whatever their intonation says: hesitations,
 * conjunctions, articles, prepositions and copulas that need a continuation, and digits (a number
 * dictated in groups pauses after every group).
 */
const UNFINISHED_LAST_WORDS = new Set([
  ...['um', 'umm', 'uh', 'uhm', 'er', 'erm', 'hmm', 'mm', 'so', 'well', 'like'],
  ...['and', 'but', 'or', 'because', 'if', 'that', 'whether', 'then'],
  ...['the', 'a', 'an', 'my', 'your', 'our', 'their', 'his', 'her', 'this'],
  ...['to', 'of', 'on', 'in', 'at', 'for', 'with', 'from', 'by', 'about'],
  ...['is', 'are', 'was', 'am', 'be'],
]);
const DIGIT_WORDS = new Set([
  'zero',
  'oh',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
]);
/** Digit words that are also everyday words ("the other one", "oh"): digits only after another digit. */
const AMBIGUOUS_DIGIT_WORDS = new Set(['one', 'oh']);

const isDigit = (word: string | undefined) => word !== undefined && (DIGIT_WORDS.has(word) || /^\d+$/.test(word));

/** Whether the caller's words so far end where a speaker goes on. */
export function endsUnfinished(transcript: string): boolean {
  const words = normalizeWords(transcript);
  const last = words.at(-1);
  if (last === undefined) return false;
  if (AMBIGUOUS_DIGIT_WORDS.has(last)) return isDigit(words.at(-2));
  return UNFINISHED_LAST_WORDS.has(last) || isDigit(last);
}

/**
 * The policy: from what is known of the turn, the two delays the framework chooses between on the
 * end-of-turn model's answer. After an unfinished word both are long, so even a model sure of the
 * end waits for the next digit group; while a transcript is owed, both are the longest wait for it
 * (its arrival sets the delays anew, and the framework decides the turn again on it).
 */
export function endpointingDelays({ unfinished, phoneLine, transcriptPending }: TurnSignals, policy: EndpointingPolicy): EndpointingDelays {
  const extra = phoneLine ? policy.phoneExtraDelayMs : 0;
  if (transcriptPending) {
    const wait = Math.max(policy.transcriptWaitMs, policy.completeDelayMs, policy.unfinishedDelayMs, policy.unsureDelayMs) + extra;
    return { minDelay: wait, maxDelay: wait };
  }
  if (unfinished) {
    const wait = Math.max(policy.unfinishedDelayMs, policy.completeDelayMs) + extra;
    return { minDelay: wait, maxDelay: Math.max(wait, policy.unsureDelayMs + extra) };
  }
  return { minDelay: policy.completeDelayMs + extra, maxDelay: Math.max(policy.completeDelayMs, policy.unsureDelayMs) + extra };
}
