import { inference } from '@livekit/agents';
import { createRequire } from 'node:module';
import { TURN_SAMPLE_RATE, type Turn } from './corpus.js';
import type { VadSegment } from './replay.js';

/**
 * The audio end-of-turn model of agents-js 1.8.1 (`turn-detector-v1-mini`), run in this process
 * through the same native binding its inference runner calls (`@livekit/local-inference`, whose
 * weights ship in the package).
 */
interface LocalInference {
  initEot(): void;
  predict(pcm: Int16Array): Promise<number>;
}

/** The detector's window (agents-js inference/eot/transports.ts: CLIENT_BUFFER_SECONDS). */
const WINDOW_MS = 1200;
/** The framework asks the model once the VAD has counted this much silence (inference/eot/base.ts: MIN_SILENCE_DURATION_MS, not exported). */
const PREDICTION_SILENCE_MS = 200;
/** Below this the model says "not done" and the framework waits its maximum delay (the local model's own English threshold). */
export const DEFAULT_UNLIKELY_THRESHOLD = inference.LOCAL_LANGUAGES.en!;

export class LocalEndOfTurnModel {
  private constructor(private readonly native: LocalInference) {}

  static load(): LocalEndOfTurnModel {
    const native = createRequire(import.meta.url)('@livekit/local-inference') as LocalInference;
    native.initEot();
    return new LocalEndOfTurnModel(native);
  }

  /**
   * For each VAD segment that ended, the model's end-of-turn probability when the framework asks for
   * it: `PREDICTION_SILENCE_MS` after the last speech, on the window of audio before that. A segment
   * whose silence was reported before the model was asked gets none (the framework then commits on
   * its minimum delay).
   */
  async probabilities(pcm: Int16Array, segments: VadSegment[]): Promise<(number | undefined)[]> {
    const at = (ms: number) => Math.max(0, Math.round((ms / 1000) * TURN_SAMPLE_RATE));
    const out: (number | undefined)[] = [];
    for (const segment of segments) {
      if (segment.end === undefined || (segment.silence ?? 0) < PREDICTION_SILENCE_MS) {
        out.push(undefined);
        continue;
      }
      const askedAt = segment.end - segment.silence! + PREDICTION_SILENCE_MS;
      out.push(await this.native.predict(pcm.slice(at(askedAt - WINDOW_MS), at(askedAt))));
    }
    return out;
  }
}

/** The caller's words the STT would have by the end of a segment, had it heard every one (the pieces spoken so far). */
export function wordsBy(turn: Turn, segment: VadSegment): string {
  const lastSpeech = (segment.end ?? Number.POSITIVE_INFINITY) - (segment.silence ?? 0);
  return turn.pieces.filter((_, k) => turn.speech[k]![0] < lastSpeech).join(' ');
}
