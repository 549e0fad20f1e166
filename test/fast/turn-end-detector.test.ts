import { EventEmitter } from 'node:events';
import { initializeLogger, llm, voice } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { TurnEndDetector, type TurnEndScorers } from '../../agent/session/turn-taking/turn-end-detector.js';
import {
  type TurnEndStages,
  type TurnEndWeights,
  turnEndDelay,
  turnEndProbability,
} from '../../agent/session/turn-taking/turn-end-model.js';

const STAGES: TurnEndStages = { doneAbove: 0.5, unsureAbove: 0.1, doneDelayMs: 0, unsureDelayMs: 900, notDoneDelayMs: 1500 };
const WEIGHTS: TurnEndWeights = { intercept: 0.5, sentenceEnd: 0.3, unfinishedWord: -1 };

function chat(agent: string, caller: string): llm.ChatContext {
  const ctx = llm.ChatContext.empty();
  ctx.addMessage({ role: 'assistant', content: agent });
  ctx.addMessage({ role: 'user', content: caller });
  return ctx;
}

/** A detector over `text`, with the waits it set on the framework. */
function detector(text: TurnEndScorers['text'], opts: { owed?: boolean; timeoutMs?: number } = {}) {
  const waits: number[] = [];
  const asked: [string | undefined, string][] = [];
  const d = new TurnEndDetector(
    {
      text: (agentText, words) => {
        asked.push([agentText, words]);
        return text(agentText, words);
      },
    },
    {
      weights: WEIGHTS,
      stages: STAGES,
      timeoutMs: opts.timeoutMs ?? 200,
      transcriptOwed: () => opts.owed ?? false,
      setNotDoneDelay: (ms) => waits.push(ms),
    },
  );
  return { d, waits, asked };
}

const score = (sentenceEnd: number) => async () => ({ endOfMessage: sentenceEnd / 10, sentenceEnd, evaluatedTokens: 3 });

describe('the turn-end model', () => {
  it('is surer the caller is done the likelier a sentence ends, and less after an unfinished word', () => {
    const p = (words: string, sentenceEnd: number) => turnEndProbability({ words, text: { sentenceEnd } }, WEIGHTS)!;
    expect(p('what time do you close', 0.6)).toBeGreaterThan(p('what time do you', 0.01));
    expect(p('I would like the pasta and', 0.3)).toBeLessThan(p('I would like the pasta', 0.3));
    expect(turnEndProbability({ words: 'hello' }, WEIGHTS)).toBeUndefined();
  });

  it('waits by stage, and the middle wait without the model', () => {
    expect([0.9, 0.5, 0.3, 0.1, 0.05, undefined].map((p) => turnEndDelay(p, STAGES))).toEqual([0, 0, 900, 900, 1500, 900]);
  });
});

describe('the turn-end detector', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

  it("scores the caller's words after the agent's last message, and sets the framework's longer wait before it answers", async () => {
    const sure = detector(score(0.9));
    const p = await sure.d.predictEndOfTurn(chat('What time works for you?', 'tomorrow at ten'));
    expect(sure.asked).toEqual([['What time works for you?', 'tomorrow at ten']]);
    expect(p).toBeGreaterThanOrEqual(await sure.d.unlikelyThreshold());
    const unsure = detector(score(0.001));
    expect(await unsure.d.predictEndOfTurn(chat('What is your order number?', 'it is four seven'))).toBeLessThan(
      await unsure.d.unlikelyThreshold(),
    );
    expect(unsure.waits).toEqual([1500]);
  });

  it('scores nothing while the STT owes a transcript: the turn waits for the words', async () => {
    const owed = detector(score(0.9), { owed: true });
    expect(await owed.d.predictEndOfTurn(chat('Hello!', 'what is the'))).toBe(0);
    expect(owed.asked).toEqual([]);
  });

  it('decides without a model that is too slow or fails: the middle wait', async () => {
    for (const text of [() => new Promise<never>(() => {}), async () => Promise.reject(new Error('inference process gone'))]) {
      const slow = detector(text, { timeoutMs: 50 });
      expect(await slow.d.predictEndOfTurn(chat('Hello!', 'what time do you close'))).toBeLessThan(await slow.d.unlikelyThreshold());
      expect(slow.waits).toEqual([900]);
    }
  });

  it("evaluates the agent's message as soon as the session adds it, before the caller answers", async () => {
    const { d, asked } = detector(score(0.5));
    const session = new EventEmitter();
    d.attach(session as unknown as Pick<voice.AgentSession, 'on'>);
    const said = (role: 'assistant' | 'user', text: string) =>
      session.emit(voice.AgentSessionEventTypes.ConversationItemAdded, { item: llm.ChatMessage.create({ role, content: text }) });
    said('user', 'what time do you close');
    said('assistant', 'We close at ten tonight.');
    expect(asked).toEqual([['We close at ten tonight.', '']]);
  });

  it('reads English only (the model is English)', async () => {
    const { d } = detector(score(0.5));
    expect(await d.supportsLanguage('en-US')).toBe(true);
    expect(await d.supportsLanguage(undefined)).toBe(true);
    expect(await d.supportsLanguage('fr')).toBe(false);
  });
});
