import { type llm, log, voice } from '@livekit/agents';
import type { TextEndOfTurnScore } from '../../../plugins/text-end-of-turn/index.js';
import { type TurnEndStages, type TurnEndWeights, turnEndDelay, turnEndProbability } from './turn-end-model.js';

/** Where the scores come from: the text model, in the worker's inference process. */
export interface TurnEndScorers {
  text(agentText: string | undefined, words: string): Promise<TextEndOfTurnScore>;
}

/**
 * How long the detector waits for the model: a score takes ~80 ms plus ~11 ms a token on a quiet
 * core, and 400 ms was passed in a third of the calls of the loaded integration test (each then
 * waited the unsure 1.2 s). Past this, the turn is decided without it (the middle wait): an answer
 * later than ~the unsure wait after the caller's last speech would change nothing.
 */
export const TURN_END_TIMEOUT_MS = 700;

export interface TurnEndDetectorOptions {
  weights: TurnEndWeights;
  stages: TurnEndStages;
  /** A model that has not answered by then is left out (the decision takes the middle wait). */
  timeoutMs: number;
  /** The STT owes a transcript: the words to score are not all in yet, so the turn waits for them. */
  transcriptOwed: () => boolean;
  /** Sets the wait the framework takes when the caller is not sure to be done (its `maxDelay`). */
  setNotDoneDelay: (ms: number) => void;
}

/**
 * The end-of-turn detector of a call, in the shape agents-js 1.8.1 takes a text turn detector
 * (`_TurnDetector` of voice/audio_recognition.ts): at the VAD's end of speech and at each final
 * transcript while the caller is silent, it is asked how likely the caller is done. It asks the text
 * model (the caller's words given the agent's last message) and combines its scores with the
 * policy's rule on the last word (turn-end-model.ts).
 *
 * The framework waits its `minDelay` when the probability clears `unlikelyThreshold` and its
 * `maxDelay` otherwise, reading `maxDelay` only after the prediction (audio_recognition.ts): the
 * detector sets it first, to the middle or the longest wait, so three stages fit the framework's two.
 */
export class TurnEndDetector {
  readonly model = 'voice-agent-turn-end';
  readonly provider = 'local';
  readonly #logger = log().child({ component: 'turn-end' });

  constructor(
    private readonly scorers: TurnEndScorers,
    private readonly opts: TurnEndDetectorOptions,
  ) {}

  /**
   * Evaluates each message of the agent's as soon as the session adds it (its playout over), while
   * the caller has yet to answer: the scorer keeps its prompt between scores, so at the caller's end
   * of speech only their words are left to evaluate. Unwarmed, the agent's message made the first
   * score of a turn take ~650 ms in the voice-to-voice benchmark (30 of 72 past the timeout).
   */
  attach(session: Pick<voice.AgentSession, 'on'>): void {
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type !== 'message' || ev.item.role !== 'assistant' || !ev.item.textContent) return;
      this.scorers
        .text(ev.item.textContent, '')
        .catch((error: unknown) =>
          this.#logger.warn({ error: (error as Error).message }, "end-of-turn model failed on the agent's message"),
        );
    });
  }

  async unlikelyThreshold(): Promise<number> {
    return this.opts.stages.doneAbove;
  }

  /** The text model reads English (SmolLM2's instruction data is English). */
  async supportsLanguage(language?: string): Promise<boolean> {
    return language === undefined || language === '' || language.toLowerCase().startsWith('en');
  }

  async predictEndOfTurn(chatCtx: llm.ChatContext): Promise<number> {
    if (this.opts.transcriptOwed()) {
      // The transcript wait is the framework's delay now (adaptive-endpointing.ts); no stale words are scored.
      return 0;
    }
    const messages = chatCtx.items.filter((i): i is llm.ChatMessage => i.type === 'message');
    const words = messages.at(-1)?.role === 'user' ? (messages.at(-1)!.textContent ?? '') : '';
    const agentText = [...messages].reverse().find((m) => m.role === 'assistant')?.textContent;
    const started = performance.now();
    const text = await this.#withinTimeout(this.scorers.text(agentText, words));
    const probability = turnEndProbability({ words, text }, this.opts.weights);
    const delayMs = turnEndDelay(probability, this.opts.stages);
    this.opts.setNotDoneDelay(delayMs);
    this.#logger.info(
      { probability, delayMs, sentenceEnd: text?.sentenceEnd, inferenceMs: Math.round(performance.now() - started) },
      'turn end predicted',
    );
    // Without the model's answer: below the threshold, so the framework waits the middle delay just set.
    return probability ?? 0;
  }

  async #withinTimeout<T>(work: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        this.#logger.warn({ timeoutMs: this.opts.timeoutMs }, 'end-of-turn model too slow, deciding without it');
        resolve(undefined);
      }, this.opts.timeoutMs);
    });
    try {
      return await Promise.race([
        work.catch((error: unknown) => {
          this.#logger.warn({ error: (error as Error).message }, 'end-of-turn model failed, deciding without it');
          return undefined;
        }),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
