import { resample, rms } from './audio.js';
import { FliteSynthesizer } from './flite.js';
import { prng } from './prng.js';

/** What a caller's room adds under their voice: made offline, 8 s, looped; at the rate asked. */

/** Several people talking at once in the background (a call centre, a café): four flite voices, overlapped. */
export async function babbleBed(sampleRate: number): Promise<Int16Array> {
  const lines = [
    ['awb', 'We should leave before the traffic gets bad this evening.'],
    ['slt', 'Did you see the game last night, it was really close.'],
    ['rms', 'I will send you the report as soon as it is ready.'],
    ['kal16', 'The coffee machine on the third floor is broken again.'],
  ] as const;
  const voices = await Promise.all(
    lines.map(async ([voice, text]) => {
      const s = await new FliteSynthesizer({ voice }).synthesize(text);
      return resample(s.pcm, s.sampleRate, sampleRate);
    }),
  );
  const length = sampleRate * 8;
  const bed = new Float64Array(length);
  voices.forEach((v, k) => {
    const offset = Math.round((k * length) / voices.length);
    for (let i = 0; i < length; i++) bed[(i + offset) % length]! += v[i % v.length]!;
  });
  return Int16Array.from(bed, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
}

/** Background music: a chord progression of soft square-ish tones with a beat. */
export function musicBed(sampleRate: number): Int16Array {
  const random = prng(7);
  const chords = [
    [220, 277, 330],
    [196, 247, 294],
    [175, 220, 262],
    [196, 247, 294],
  ];
  const length = sampleRate * 8;
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    const chord = chords[Math.floor(t / 2) % chords.length]!;
    let x = 0;
    for (const f of chord) x += Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(2 * Math.PI * 3 * f * t);
    const beat = (t * 2) % 1; // two beats a second, a short noise burst each
    x += beat < 0.05 ? (random() * 2 - 1) * 2 * (1 - beat / 0.05) : 0;
    out[i] = Math.round(x * 3000);
  }
  return out;
}

/**
 * `speech` with `bed` looped under all of it (pauses included, as in a real room), `snrDb` below
 * the level of the speech itself: `speechLevel` is that level (RMS), e.g. of the spoken parts only.
 */
export function underBed(speech: Int16Array, bed: Int16Array, snrDb: number, speechLevel = rms(speech)): Int16Array {
  const gain = speechLevel / Math.max(1, rms(bed)) / 10 ** (snrDb / 20);
  return Int16Array.from(speech, (s, i) => Math.max(-32768, Math.min(32767, Math.round(s + bed[i % bed.length]! * gain))));
}
