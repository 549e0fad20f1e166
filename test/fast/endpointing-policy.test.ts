import { describe, expect, it } from 'vitest';
import {
  type EndpointingPolicy,
  endpointingDelays,
  endsUnfinished,
  type TurnSignals,
} from '../../agent/session/turn-taking/endpointing-policy.js';

const POLICY: EndpointingPolicy = {
  completeDelayMs: 200,
  unsureDelayMs: 1200,
  unfinishedDelayMs: 1500,
  phoneExtraDelayMs: 100,
  transcriptWaitMs: 3000,
};

/** The signals of a turn whose STT has sent `words` and owes nothing more, unless told. */
const heard = (words: string, opts: { phoneLine?: boolean; transcriptPending?: boolean } = {}): TurnSignals => ({
  unfinished: endsUnfinished(words),
  phoneLine: opts.phoneLine ?? false,
  transcriptPending: opts.transcriptPending ?? false,
});

describe('endpointing policy', () => {
  it('answers a complete sentence after the short delay when the model agrees, the long one when it does not', () => {
    expect(endpointingDelays(heard('What is the weather like today?'), POLICY)).toEqual({ minDelay: 200, maxDelay: 1200 });
  });

  it('waits long, model or not, while the caller dictates digits, hesitates or stops on a word that needs more', () => {
    // Transcripts as the STT sends them while the caller pauses mid-turn.
    for (const words of [
      'my order number is four seven',
      'the code is 1 2 3',
      'room two one',
      'um',
      'I would like to order the',
      'so my question is',
      'I was thinking and',
    ]) {
      expect(endsUnfinished(words), words).toBe(true);
      expect(endpointingDelays(heard(words), POLICY), words).toEqual({ minDelay: 1500, maxDelay: 1500 });
    }
  });

  it('does not take a word that merely contains one of those for it', () => {
    for (const words of ['Thank you, that is all I needed.', 'No, the other one.', 'Correct.', "isn't it", 'someone']) {
      expect(endsUnfinished(words), words).toBe(false);
    }
    expect(endsUnfinished('')).toBe(false);
  });

  it('adds the phone line extra to every delay', () => {
    expect(endpointingDelays(heard('Please cancel my order.', { phoneLine: true }), POLICY)).toEqual({ minDelay: 300, maxDelay: 1300 });
    expect(endpointingDelays(heard('it is nine', { phoneLine: true }), POLICY)).toEqual({ minDelay: 1600, maxDelay: 1600 });
  });

  it('keeps the delays ordered whatever the configuration', () => {
    const odd: EndpointingPolicy = {
      completeDelayMs: 900,
      unsureDelayMs: 600,
      unfinishedDelayMs: 300,
      phoneExtraDelayMs: 0,
      transcriptWaitMs: 0,
    };
    expect(endpointingDelays({ unfinished: false, phoneLine: false, transcriptPending: false }, odd)).toEqual({
      minDelay: 900,
      maxDelay: 900,
    });
    expect(endpointingDelays({ unfinished: true, phoneLine: false, transcriptPending: false }, odd)).toEqual({
      minDelay: 900,
      maxDelay: 900,
    });
  });

  it('waits for a transcript the STT owes, up to its limit, whatever the words so far say', () => {
    // The first half's final came, the second half is still being transcribed (the paused-sentence case).
    expect(endpointingDelays(heard('so my question is', { transcriptPending: true }), POLICY)).toEqual({ minDelay: 3000, maxDelay: 3000 });
    expect(endpointingDelays(heard('What is the weather like today?', { transcriptPending: true }), POLICY)).toEqual({
      minDelay: 3000,
      maxDelay: 3000,
    });
    expect(endpointingDelays(heard('Please cancel my order.', { phoneLine: true, transcriptPending: true }), POLICY)).toEqual({
      minDelay: 3100,
      maxDelay: 3100,
    });
    // Never sooner than the words alone would wait.
    expect(endpointingDelays(heard('my order number is four', { transcriptPending: true }), { ...POLICY, transcriptWaitMs: 100 })).toEqual({
      minDelay: 1500,
      maxDelay: 1500,
    });
  });
});
