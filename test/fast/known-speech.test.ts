import { beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, type CorpusUtterance, synthesizeCorpus } from '../../bench/shared/corpus.js';
import { resample } from '../../harness/speech/audio.js';
import { KnownSpeechRecognizer } from '../../harness/speech/known-speech.js';
import { prng } from '../../harness/speech/prng.js';
import { click, cough } from '../../harness/speech/sounds.js';

/** As the agent sends it: 24 kHz, some room noise, and the silence around it that the VAD keeps. */
function asSent(u: CorpusUtterance, opts: { gain?: number } = {}): Int16Array {
  const pcm = u.sampleRate === 24_000 ? u.pcm : resample(u.pcm, u.sampleRate, 24_000);
  const noise = prng(7);
  const padded = new Int16Array(pcm.length + 2 * 7200);
  for (let i = 0; i < padded.length; i++) {
    const speech = i >= 7200 && i < 7200 + pcm.length ? pcm[i - 7200]! * (opts.gain ?? 1) : 0;
    padded[i] = Math.max(-32768, Math.min(32767, Math.round(speech + (noise() - 0.5) * 60)));
  }
  return padded;
}

describe('the load benchmarks’ recognizer of known sentences', () => {
  let corpus: CorpusUtterance[];
  let recognizer: KnownSpeechRecognizer;
  beforeAll(async () => {
    corpus = await synthesizeCorpus();
    recognizer = new KnownSpeechRecognizer(corpus);
  }, 60_000);

  it('names every sentence of the benchmark corpus, streamed in pieces, louder or quieter', async () => {
    for (const u of corpus.map((c) => ({ ...c, pcm: resample(c.pcm, c.sampleRate, 24_000), sampleRate: 24_000 }))) {
      for (const opts of [{}, { gain: 0.5 }, { gain: 1.5 }]) {
        const pcm = asSent(u, opts);
        const stream = recognizer.stream(24_000);
        for (let i = 0; i < pcm.length; i += 480) stream.write(pcm.subarray(i, i + 480));
        expect((await stream.end()).text, `${u.text} ${JSON.stringify(opts)}`).toBe(u.text);
      }
    }
  });

  it('hears nothing in silence, a cough, a click or a sentence much shorter than any it knows', async () => {
    expect((await recognizer.recognize(new Int16Array(24_000), 24_000)).text).toBe('');
    for (const sound of [cough(), click()]) expect((await recognizer.recognize(sound.pcm, sound.sampleRate)).text).toBe('');
    const [short] = await synthesizeCorpus(['No.']);
    expect((await recognizer.recognize(asSent(short!), 24_000)).text).toBe('');
    // A known sentence cut short is not mistaken for another one.
    const half = corpus.find((u) => u.text === CORPUS[9])!;
    expect((await recognizer.recognize(asSent({ ...half, pcm: half.pcm.subarray(0, half.pcm.length / 2) }), 24_000)).text).toBe('');
  });
});
