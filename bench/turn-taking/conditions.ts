import { resample, rms } from '../../harness/speech/audio.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import { throughPhoneLine } from '../../harness/speech/phone-line.js';
import { prng } from '../../harness/speech/prng.js';
import { TURN_SAMPLE_RATE, type Turn } from './corpus.js';

/** What the caller's line adds to their voice. */
export const CONDITIONS = ['clean', 'babble', 'music', 'phone'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Noise level under the caller's speech. */
const SNR_DB = 10;
/** The phone line's rate (a multiple of 8 kHz, as harness/speech/phone-line.ts needs). */
const PHONE_RATE = 48_000;

/** Several people talking at once in the background (a call centre, a café): other flite voices, overlapped. */
async function babbleBed(): Promise<Int16Array> {
  const lines = [
    ['awb', 'We should leave before the traffic gets bad this evening.'],
    ['slt', 'Did you see the game last night, it was really close.'],
    ['rms', 'I will send you the report as soon as it is ready.'],
    ['kal16', 'The coffee machine on the third floor is broken again.'],
  ] as const;
  const voices = await Promise.all(lines.map(async ([voice, text]) => {
    const s = await new FliteSynthesizer({ voice }).synthesize(text);
    return resample(s.pcm, s.sampleRate, TURN_SAMPLE_RATE);
  }));
  const length = TURN_SAMPLE_RATE * 8;
  const bed = new Float64Array(length);
  voices.forEach((v, k) => {
    const offset = Math.round((k * length) / voices.length);
    for (let i = 0; i < length; i++) bed[(i + offset) % length]! += v[i % v.length]!;
  });
  return Int16Array.from(bed, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
}

/** Background music: a chord progression of soft square-ish tones with a beat, 8 s looped. */
function musicBed(): Int16Array {
  const random = prng(7);
  const chords = [
    [220, 277, 330],
    [196, 247, 294],
    [175, 220, 262],
    [196, 247, 294],
  ];
  const length = TURN_SAMPLE_RATE * 8;
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const t = i / TURN_SAMPLE_RATE;
    const chord = chords[Math.floor(t / 2) % chords.length]!;
    let x = 0;
    for (const f of chord) x += Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(2 * Math.PI * 3 * f * t);
    const beat = (t * 2) % 1; // two beats a second, a short noise burst each
    x += beat < 0.05 ? (random() * 2 - 1) * 2 * (1 - beat / 0.05) : 0;
    out[i] = Math.round(x * 3000);
  }
  return out;
}

/** Applies one condition to turns; the noise beds are made once. */
export class LineConditions {
  private constructor(
    private readonly babble: Int16Array,
    private readonly music: Int16Array,
  ) {}

  static async create(): Promise<LineConditions> {
    return new LineConditions(await babbleBed(), musicBed());
  }

  /** The turn's audio as the detector hears it under `condition` (same length, same timing). */
  apply(turn: Turn, condition: Condition): Int16Array {
    switch (condition) {
      case 'clean':
        return turn.pcm;
      case 'babble':
        return mixAtSnr(turn, this.babble);
      case 'music':
        return mixAtSnr(turn, this.music);
      case 'phone':
        return resample(throughPhoneLine(resample(turn.pcm, TURN_SAMPLE_RATE, PHONE_RATE), PHONE_RATE), PHONE_RATE, TURN_SAMPLE_RATE).subarray(0, turn.pcm.length);
    }
  }
}

/** `noise` looped under the whole turn, SNR_DB below the level of its speech (pauses included, as on a real line). */
function mixAtSnr(turn: Turn, noise: Int16Array): Int16Array {
  const at = (ms: number) => Math.round((ms / 1000) * TURN_SAMPLE_RATE);
  const speechLevel = rms(Int16Array.from(turn.speech.flatMap(([a, b]) => Array.from(turn.pcm.subarray(at(a), at(b))))));
  const gain = speechLevel / Math.max(1, rms(noise)) / 10 ** (SNR_DB / 20);
  return Int16Array.from(turn.pcm, (s, i) => Math.max(-32768, Math.min(32767, Math.round(s + noise[i % noise.length]! * gain))));
}
