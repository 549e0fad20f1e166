import { describe, expect, it } from 'vitest';
import { type EndpointingPolicy, endpointingDelays, endsUnfinished } from '../../agent/session/endpointing-policy.js';

const POLICY: EndpointingPolicy = { completeDelayMs: 200, unsureDelayMs: 1200, unfinishedDelayMs: 1500, phoneExtraDelayMs: 100 };

describe('endpointing policy', () => {
  it('answers a complete sentence after the short delay when the model agrees, the long one when it does not', () => {
    expect(endpointingDelays(endsUnfinished('What is the weather like today?'), false, POLICY)).toEqual({ minDelay: 200, maxDelay: 1200 });
  });

  it('waits long, model or not, while the caller dictates digits, hesitates or stops on a word that needs more', () => {
    // Transcripts as the STT sends them while the caller pauses mid-turn.
    for (const words of ['my order number is four seven', 'the code is 1 2 3', 'room two one', 'um', 'I would like to order the', 'so my question is', 'I was thinking and']) {
      expect(endsUnfinished(words), words).toBe(true);
      expect(endpointingDelays(endsUnfinished(words), false, POLICY), words).toEqual({ minDelay: 1500, maxDelay: 1500 });
    }
  });

  it('does not take a word that merely contains one of those for it', () => {
    for (const words of ['Thank you, that is all I needed.', 'No, the other one.', 'Correct.', 'isn\'t it', 'someone']) {
      expect(endsUnfinished(words), words).toBe(false);
    }
    expect(endsUnfinished('')).toBe(false);
  });

  it('adds the phone line extra to every delay', () => {
    expect(endpointingDelays(endsUnfinished('Please cancel my order.'), true, POLICY)).toEqual({ minDelay: 300, maxDelay: 1300 });
    expect(endpointingDelays(endsUnfinished('it is nine'), true, POLICY)).toEqual({ minDelay: 1600, maxDelay: 1600 });
  });

  it('keeps the delays ordered whatever the configuration', () => {
    const odd: EndpointingPolicy = { completeDelayMs: 900, unsureDelayMs: 600, unfinishedDelayMs: 300, phoneExtraDelayMs: 0 };
    expect(endpointingDelays(false, false, odd)).toEqual({ minDelay: 900, maxDelay: 900 });
    expect(endpointingDelays(true, false, odd)).toEqual({ minDelay: 900, maxDelay: 900 });
  });
});
