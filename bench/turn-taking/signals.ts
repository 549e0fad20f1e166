import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { endOfTurnPrompt, type TextEndOfTurnScore, TextEndOfTurnScorer } from '../../plugins/text-end-of-turn/index.js';
import { TURN_SAMPLE_RATE } from './corpus.js';

/**
 * The audio end-of-turn model of agents-js 1.8.1 (`turn-detector-v1-mini`), run in this process
 * through the same native binding its inference runner calls (`@livekit/local-inference`, whose
 * weights ship in the package), on the window of audio the framework sends it.
 */
interface LocalInference {
  initEot(): void;
  predict(pcm: Int16Array): Promise<number>;
}

/** The detector's window (agents-js inference/eot/transports.ts: CLIENT_BUFFER_SECONDS). */
const AUDIO_WINDOW_MS = 1200;

/** Scores are cached on disk: a rerun of the benchmark asks no model what it asked before. */
class DiskCache<T> {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async get(key: string, make: () => Promise<T>): Promise<T> {
    const file = join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
    const value = await make();
    writeFileSync(file, JSON.stringify(value));
    return value;
  }
}

export class AudioEndOfTurnScores {
  readonly #cache: DiskCache<number>;

  private constructor(
    private readonly native: LocalInference,
    cacheDir: string,
  ) {
    this.#cache = new DiskCache(cacheDir);
  }

  static load(cacheDir: string): AudioEndOfTurnScores {
    const native = createRequire(import.meta.url)('@livekit/local-inference') as LocalInference;
    native.initEot();
    return new AudioEndOfTurnScores(native, cacheDir);
  }

  /** The model's probability that the turn is over, asked at `askedAt` (ms) on the window before it. */
  probability(pcm: Int16Array, askedAt: number): Promise<number> {
    const at = (ms: number) => Math.max(0, Math.min(pcm.length, Math.round((ms / 1000) * TURN_SAMPLE_RATE)));
    const window = pcm.slice(at(askedAt - AUDIO_WINDOW_MS), at(askedAt));
    const key = createHash('sha256').update(new Uint8Array(window.buffer)).digest('hex');
    return this.#cache.get(key, () => this.native.predict(window));
  }
}

/**
 * The text model's time for a score, by the tokens it evaluates: timed on a quiet process before the
 * replay starts (the replay runs recognizers beside it), as a line through (tokens, ms).
 */
export interface TextScoreTiming {
  fixedMs: number;
  perTokenMs: number;
}

export class TextEndOfTurnScores {
  readonly #cache: DiskCache<TextEndOfTurnScore>;

  private constructor(
    private readonly scorer: TextEndOfTurnScorer,
    cacheDir: string,
    readonly timing: TextScoreTiming,
  ) {
    this.#cache = new DiskCache(cacheDir);
  }

  static async load(modelPath: string, cacheDir: string, calibration: { context: string; words: string }[]): Promise<TextEndOfTurnScores> {
    const scorer = await TextEndOfTurnScorer.load({ modelPath });
    const points: [number, number][] = [];
    for (const { context, words } of calibration) {
      await scorer.score(context, '');
      const started = performance.now();
      const { evaluatedTokens } = await scorer.score(context, words);
      points.push([evaluatedTokens, performance.now() - started]);
    }
    return new TextEndOfTurnScores(scorer, cacheDir, fitLine(points));
  }

  /** The scores of `words` after `context`, as evaluated with the context already in the model (as in a call, where the agent spoke first). */
  score(context: string, words: string): Promise<TextEndOfTurnScore & { latencyMs: number }> {
    return (
      this.#cache
        // Keyed by the prompt itself: another prompt is another score.
        .get(endOfTurnPrompt(context, words), async () => {
          await this.scorer.score(context, '');
          return this.scorer.score(context, words);
        })
        .then((s) => ({ ...s, latencyMs: this.timing.fixedMs + this.timing.perTokenMs * s.evaluatedTokens }))
    );
  }

  close(): Promise<void> {
    return this.scorer.close();
  }
}

function fitLine(points: [number, number][]): TextScoreTiming {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const perTokenMs = sxx ? points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx : 0;
  return { fixedMs: my - perTokenMs * mx, perTokenMs };
}
