import type { SpeechSynthesizer, SynthesizedSpeech } from './flite.js';

/**
 * Speech synthesized once per text and served from memory after that: a load benchmark's agents
 * say the same scripted sentences again and again, and flite's cost is not what it measures. A
 * request that is aborted stops waiting; the synthesis it started completes for the next one.
 */
export class CachedSynthesizer implements SpeechSynthesizer {
  readonly #cache = new Map<string, Promise<SynthesizedSpeech>>();

  constructor(private readonly engine: SpeechSynthesizer) {}

  synthesize(text: string, signal?: AbortSignal): Promise<SynthesizedSpeech> {
    let speech = this.#cache.get(text);
    if (!speech) {
      speech = this.engine.synthesize(text);
      this.#cache.set(text, speech);
      // A failure is not remembered: the next request tries again.
      speech.catch(() => this.#cache.delete(text));
    }
    if (!signal) return speech;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      speech.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
