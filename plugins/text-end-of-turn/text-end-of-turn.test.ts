import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endOfTurnPrompt, installedModelPath, TextEndOfTurnScorer } from './index.js';

describe('the text end-of-turn score', () => {
  let scorer: TextEndOfTurnScorer;
  beforeAll(async () => {
    scorer = await TextEndOfTurnScorer.load({ modelPath: installedModelPath() });
  });
  afterAll(async () => {
    await scorer.close();
  });

  it('writes both messages as a recognizer does, the caller left open', () => {
    const prompt = endOfTurnPrompt('What time works for you?', 'Tomorrow, at ten');
    expect(prompt.endsWith('<|im_start|>assistant\nwhat time works for you<|im_end|>\n<|im_start|>user\ntomorrow at ten')).toBe(true);
  });

  it('takes a sentence that ends for more likely ended than one stopped in its middle', async () => {
    const done = await scorer.score('How can I help you today?', 'what time do you close tonight');
    const fragment = await scorer.score('How can I help you today?', 'what time do you');
    expect(done.sentenceEnd).toBeGreaterThan(5 * fragment.sentenceEnd);
  });

  it("evaluates only what follows the last prompt, and scores the agent's longest message", async () => {
    await scorer.score('What is your order number?', 'it is');
    expect((await scorer.score('What is your order number?', 'it is four seven')).evaluatedTokens).toBeLessThanOrEqual(3);
    const speech = 'It is sunny and warm today, a good day for a long walk in the park. '.repeat(40);
    const score = await scorer.score(speech, 'and tomorrow '.repeat(100));
    expect(score.sentenceEnd).toBeGreaterThanOrEqual(0);
  });
});
