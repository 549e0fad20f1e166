import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeWords } from '../../contracts/words.js';
import { encodeWav, readWav, resample, rms } from '../../harness/speech/audio.js';
import { alignWords, FliteSynthesizer, parseSegments, phoneCounts, spokenTokens, trimLeadingPause } from '../../harness/speech/flite.js';
import { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { AGENT_VOICE } from '../../harness/speech/voices.js';
import { wordOverlap } from '../../harness/speech/words.js';

function tone(hz: number, ms: number, rate: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round((rate * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

function zeroCrossings(pcm: Int16Array): number {
  let n = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 !== pcm[i]! < 0) n++;
  return n;
}

describe('audio', () => {
  it('round-trips PCM through a WAV file', () => {
    const pcm = tone(440, 50, 16000);
    const wav = readWav(encodeWav(pcm, 16000));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toBe(1);
    expect(Array.from(wav.pcm)).toEqual(Array.from(pcm));
  });

  it('rejects what is not 16-bit PCM WAV', () => {
    expect(() => readWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
    const float = encodeWav(new Int16Array(4), 16000);
    float.writeUInt16LE(3, 20); // IEEE float format code
    expect(() => readWav(float)).toThrow(/unsupported encoding/);
  });

  it('resamples by the rate ratio and keeps a tone in band', () => {
    const pcm = tone(440, 1000, 16000);
    const up = resample(pcm, 16000, 48000);
    expect(up.length).toBe(48000);
    const back = resample(up, 48000, 16000);
    expect(back.length).toBe(16000);
    expect(Math.abs(zeroCrossings(back) - zeroCrossings(pcm))).toBeLessThanOrEqual(2);
    expect(rms(back) / rms(pcm)).toBeGreaterThan(0.95);
  });

  it('filters out what the lower rate cannot carry instead of aliasing it', () => {
    const high = tone(11000, 500, 48000); // above 8 kHz, the Nyquist frequency of 16 kHz
    expect(rms(resample(high, 48000, 16000))).toBeLessThan(rms(high) * 0.05);
  });

  it('measures the level of silence as zero', () => {
    expect(rms(new Int16Array(320))).toBe(0);
    expect(rms(new Int16Array(0))).toBe(0);
  });
});

describe('flite word timings', () => {
  it('keeps the spoken tokens of the text, without edge punctuation', () => {
    expect(spokenTokens('Hello, world - it is 42! "Yes."')).toEqual(['Hello', 'world', 'it', 'is', '42', 'Yes']);
  });

  it('parses segment end times and per-token phone counts', () => {
    expect(parseSegments('pau:0.164 hh:0.255 ax:0.304')).toEqual([
      { phone: 'pau', start: 0, end: 0.164 },
      { phone: 'hh', start: 0.164, end: 0.255 },
      { phone: 'ax', start: 0.255, end: 0.304 },
    ]);
    expect(phoneCounts('pau w ay pau d ih d pau')).toEqual([2, 3]);
  });

  it('splits the phones into words by the counts, and falls back to letters when they disagree', () => {
    const segments = parseSegments('pau:0.1 a:0.2 b:0.3 pau:0.4 c:0.6 pau:0.7');
    expect(alignWords(['ab', 'c'], segments, [2, 1])).toEqual([
      { word: 'ab', start: 0.1, end: 0.3 },
      { word: 'c', start: 0.4, end: 0.6 },
    ]);
    const fallback = alignWords(['ab', 'c'], segments, [1, 1]); // counts sum to 2, not 3 phones
    expect(fallback[0]!.start).toBeCloseTo(0.1);
    expect(fallback[1]!.end).toBeCloseTo(0.6);
    expect(fallback[0]!.end).toBeCloseTo(0.1 + (0.5 * 2) / 3);
  });

  it('synthesizes real speech with one ordered timing per token inside the audio', async () => {
    const text = 'Why did the chicken cross the road? To get to the other side.';
    const speech = await new FliteSynthesizer({ voice: AGENT_VOICE }).synthesize(text);
    const seconds = speech.pcm.length / speech.sampleRate;
    expect(speech.words.map((w) => w.word)).toEqual(spokenTokens(text));
    for (const [i, w] of speech.words.entries()) {
      expect(w.end).toBeGreaterThan(w.start);
      expect(w.end).toBeLessThanOrEqual(seconds);
      if (i > 0) expect(w.start).toBeGreaterThanOrEqual(speech.words[i - 1]!.end);
    }
  });

  it("cuts flite's leading pause to 20 ms and shifts the word times with it", async () => {
    const segments = parseSegments('pau:0.170 hh:0.250 ax:0.300 l:0.350');
    const pcm = new Int16Array(16_000 * 0.35).fill(1000);
    const trimmed = trimLeadingPause({ pcm, sampleRate: 16_000, words: [{ word: 'hello', start: 0.17, end: 0.35 }] }, segments);
    expect(trimmed.pcm.length).toBe(pcm.length - 16_000 * 0.15);
    expect(trimmed.words[0]!.start).toBeCloseTo(0.02, 5);
    expect(trimmed.words[0]!.end).toBeCloseTo(0.2, 5);
    const speech = await new FliteSynthesizer({ voice: AGENT_VOICE }).synthesize('It is sunny.');
    const firstLoud = speech.pcm.findIndex((v) => Math.abs(v) > 1000);
    expect(firstLoud / speech.sampleRate).toBeLessThan(0.06); // flite itself starts speaking ~0.17 s in
  });

  it('returns no audio for blank text and clear errors for a missing binary or an abort', async () => {
    expect((await new FliteSynthesizer({ voice: AGENT_VOICE }).synthesize('  ')).pcm.length).toBe(0);
    await expect(new FliteSynthesizer({ voice: AGENT_VOICE, binary: '/nonexistent/flite' }).synthesize('hi')).rejects.toThrow(
      /infra\/install\.sh/,
    );
    await expect(new FliteSynthesizer({ voice: AGENT_VOICE }).synthesize('hello there', AbortSignal.abort())).rejects.toThrow();
  });
});

describe('pocketsphinx recognizer', () => {
  let recognizer: PocketsphinxRecognizer;
  const flite = new FliteSynthesizer({ voice: AGENT_VOICE });
  const sentences = ['It is sunny and warm today.', 'Why did the chicken cross the road?', 'I can answer simple questions for you.'];

  beforeAll(async () => {
    recognizer = await PocketsphinxRecognizer.start();
  });
  afterAll(async () => {
    await recognizer?.close();
  });

  it('recognizes synthesized sentences, concurrently requested, each with its own result', async () => {
    const speech = await Promise.all(sentences.map((s) => flite.synthesize(s)));
    // 48 kHz, as the simulated caller records: the recognizer resamples.
    const results = await Promise.all(speech.map((s) => recognizer.recognize(resample(s.pcm, s.sampleRate, 48000), 48000)));
    for (const [i, result] of results.entries()) {
      expect(wordOverlap(sentences[i]!, result.text)).toBeGreaterThanOrEqual(0.8);
      expect(result.words.length).toBeGreaterThan(0);
    }
  });

  it('decodes an utterance while it streams in, with partial hypotheses on the way', async () => {
    const speech = await flite.synthesize(sentences[0]!);
    const partials: string[] = [];
    const stream = recognizer.stream(speech.sampleRate, (p) => partials.push(p));
    for (let i = 0; i < speech.pcm.length; i += 800) stream.write(speech.pcm.subarray(i, i + 800));
    const final = await stream.end();
    expect(wordOverlap(sentences[0]!, final.text)).toBeGreaterThanOrEqual(0.8);
    expect(partials.length).toBeGreaterThan(1);
    expect(wordOverlap(sentences[0]!, partials.at(-1)!)).toBeGreaterThan(0.5);
  });

  it('fails clearly when the binary is missing or the recognizer is closed', async () => {
    await expect(PocketsphinxRecognizer.start({ binary: '/nonexistent/ps_server' })).rejects.toThrow(/infra\/install\.sh/);
    const closed = await PocketsphinxRecognizer.start();
    await closed.close();
    await expect(closed.recognize(new Int16Array(1600), 16000)).rejects.toThrow(/closed/);
  });
});

describe('word overlap', () => {
  it('normalizes case and punctuation', () => {
    expect(normalizeWords("Hello, World! It's 42.")).toEqual(['hello', 'world', "it's", '42']);
  });

  it('counts expected words as a multiset', () => {
    expect(wordOverlap('the cat and the dog', 'the cat and dog')).toBeCloseTo(0.8);
    expect(wordOverlap('yes yes', 'yes')).toBe(0.5);
    expect(wordOverlap('', 'anything')).toBe(1);
    expect(wordOverlap('hello there', '')).toBe(0);
  });
});
