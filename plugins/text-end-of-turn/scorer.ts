import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { endOfTurnPrompt } from './prompt.js';

/** What the language model makes of the caller's words so far. */
export interface TextEndOfTurnScore {
  /** The probability that the caller's message ends here (SmolLM2's end-of-message token next). */
  endOfMessage: number;
  /** The probability that a sentence ends here (".", "?" or "!" next). */
  sentenceEnd: number;
  /** Tokens the model evaluated for this score (those after the prompt it had evaluated last). */
  evaluatedTokens: number;
}

export interface TextEndOfTurnScorerOptions {
  /** The GGUF file (SmolLM2-135M-Instruct, infra/install.sh puts it in .tools/models). */
  modelPath: string;
  /** CPU threads for one score (llama.cpp's own pool). */
  threads?: number;
}

/** Tokens of the agent's message plus the caller's words: far more than a turn's prompt needs. */
const CONTEXT_TOKENS = 512;

/**
 * A small language model run on the CPU (SmolLM2-135M-Instruct through node-llama-cpp's prebuilt
 * binary: no GPU, no build, no download), asked how likely the caller's words so far end their
 * message, given what the agent said before. One sequence is kept between scores: the prompt of the
 * next score usually starts as the last one did (the same agent message, the caller's words so far),
 * and only the tokens after the common prefix are evaluated (~10 ms a token on one core).
 */
export class TextEndOfTurnScorer {
  /** The one sequence takes one prompt at a time: scores asked together are taken in turn. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
    private readonly ids: { endOfMessage: Token; sentenceEnds: Token[] },
  ) {}

  static async load(opts: TextEndOfTurnScorerOptions): Promise<TextEndOfTurnScorer> {
    const threads = opts.threads ?? 1;
    // Imported here, not at the top: every job process imports this plugin (its job-side half), and
    // node-llama-cpp's module graph took ~0.4-0.8 s to load there for nothing.
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({
      gpu: false,
      build: 'never',
      usePrebuiltBinaries: true,
      skipDownload: true,
      progressLogs: false,
      maxThreads: threads,
      logLevel: LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: opts.modelPath, gpuLayers: 0, useMmap: true });
    const context = await model.createContext({
      contextSize: CONTEXT_TOKENS,
      batchSize: CONTEXT_TOKENS,
      threads,
      sequences: 1,
      flashAttention: false,
    });
    const single = (text: string, special: boolean) => {
      const tokens = model.tokenize(text, special);
      if (tokens.length !== 1) throw new Error(`${JSON.stringify(text)} is not one token of this model`);
      return tokens[0]!;
    };
    return new TextEndOfTurnScorer(llama, model, context, context.getSequence(), {
      endOfMessage: single('<|im_end|>', true),
      sentenceEnds: ['.', '?', '!'].map((c) => single(c, false)),
    });
  }

  /** The score of `words` (the caller's, as the STT gave them) after the agent said `agentText` (or nothing). */
  score(agentText: string | undefined, words: string): Promise<TextEndOfTurnScore> {
    const run = this.#queue.then(() => this.#score(agentText, words));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #score(agentText: string | undefined, words: string): Promise<TextEndOfTurnScore> {
    const tokens = this.model.tokenize(endOfTurnPrompt(agentText, words), true);
    // At least the last token is evaluated again: its next-token distribution is the answer.
    const keep = Math.min(this.sequence.compareContextTokens(tokens).firstDifferentIndex, tokens.length - 1);
    if (this.sequence.nextTokenIndex > keep)
      await this.sequence.eraseContextTokenRanges([{ start: keep, end: this.sequence.nextTokenIndex }]);
    const input: Parameters<LlamaContextSequence['controlledEvaluate']>[0] = tokens.slice(keep);
    // No sampler options: greedy, which leaves the logits as they are, so these are the model's own probabilities.
    input[input.length - 1] = [tokens.at(-1)!, { generateNext: { probabilities: true } }];
    const out = await this.sequence.controlledEvaluate(input);
    const probabilities = out.at(-1)?.next?.probabilities;
    if (!probabilities) throw new Error('the model gave no next-token probabilities');
    return {
      endOfMessage: probabilities.get(this.ids.endOfMessage) ?? 0,
      sentenceEnd: this.ids.sentenceEnds.reduce((sum, id) => sum + (probabilities.get(id) ?? 0), 0),
      evaluatedTokens: input.length,
    };
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
