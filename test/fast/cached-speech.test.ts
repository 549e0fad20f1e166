import { describe, expect, it } from 'vitest';
import { CachedSynthesizer } from '../../harness/speech/cached-speech.js';
import { FliteSynthesizer, type SpeechSynthesizer } from '../../harness/speech/flite.js';
import { AGENT_VOICE } from '../../harness/speech/voices.js';

/** flite, counting what it is asked to say. */
function countingFlite(binary?: string): SpeechSynthesizer & { asked: string[] } {
  const flite = new FliteSynthesizer({ voice: AGENT_VOICE, binary });
  const asked: string[] = [];
  return {
    asked,
    synthesize: (text, signal) => {
      asked.push(text);
      return flite.synthesize(text, signal);
    },
  };
}

describe("the load benchmarks' cached speech", () => {
  it('synthesizes each text once, however many ask for it at once or later', async () => {
    const engine = countingFlite();
    const cached = new CachedSynthesizer(engine);
    const [a, b] = await Promise.all([cached.synthesize('It is sunny today.'), cached.synthesize('It is sunny today.')]);
    const c = await cached.synthesize('It is sunny today.');
    await cached.synthesize('Goodbye.');
    expect(engine.asked).toEqual(['It is sunny today.', 'Goodbye.']);
    expect(a.pcm.length).toBeGreaterThan(8000);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('an aborted request stops waiting, and the speech it started still serves the next one', async () => {
    const engine = countingFlite();
    const cached = new CachedSynthesizer(engine);
    const abort = new AbortController();
    const first = cached.synthesize('Tell me a joke.', abort.signal);
    abort.abort(new Error('cancelled by the client'));
    await expect(first).rejects.toThrow('cancelled by the client');
    expect((await cached.synthesize('Tell me a joke.')).pcm.length).toBeGreaterThan(8000);
    expect(engine.asked).toEqual(['Tell me a joke.']);
  });

  it('does not keep a failure: the next request asks the engine again', async () => {
    const engine = countingFlite('/nonexistent/flite');
    const broken = new CachedSynthesizer(engine);
    await expect(broken.synthesize('Hello.')).rejects.toThrow();
    await expect(broken.synthesize('Hello.')).rejects.toThrow();
    expect(engine.asked).toEqual(['Hello.', 'Hello.']);
  });
});
