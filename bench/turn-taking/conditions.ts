import { resample, rms } from '../../harness/speech/audio.js';
import { babbleBed, musicBed, underBed } from '../../harness/speech/noise-beds.js';
import { throughPhoneLine } from '../../harness/speech/phone-line.js';
import { TURN_SAMPLE_RATE, type Turn } from './corpus.js';

/** What the caller's line adds to their voice. */
export const CONDITIONS = ['clean', 'babble', 'music', 'phone'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Noise level under the caller's speech. */
const SNR_DB = 10;
/** The phone line's rate (a multiple of 8 kHz, as harness/speech/phone-line.ts needs). */
const PHONE_RATE = 48_000;

/** Applies one condition to turns; the noise beds are made once, and the phone line's audio kept (its resampling is slow). */
export class LineConditions {
  readonly #phone = new Map<string, Int16Array>();

  private constructor(
    private readonly babble: Int16Array,
    private readonly music: Int16Array,
  ) {}

  static async create(): Promise<LineConditions> {
    return new LineConditions(await babbleBed(TURN_SAMPLE_RATE), musicBed(TURN_SAMPLE_RATE));
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
      case 'phone': {
        let heard = this.#phone.get(turn.id);
        if (!heard) {
          heard = resample(
            throughPhoneLine(resample(turn.pcm, TURN_SAMPLE_RATE, PHONE_RATE), PHONE_RATE),
            PHONE_RATE,
            TURN_SAMPLE_RATE,
          ).subarray(0, turn.pcm.length);
          this.#phone.set(turn.id, heard);
        }
        return heard;
      }
    }
  }
}

/** `noise` under the whole turn, SNR_DB below the level of its speech (pauses included, as on a real line). */
function mixAtSnr(turn: Turn, noise: Int16Array): Int16Array {
  const at = (ms: number) => Math.round((ms / 1000) * TURN_SAMPLE_RATE);
  const speechLevel = rms(Int16Array.from(turn.speech.flatMap(([a, b]) => Array.from(turn.pcm.subarray(at(a), at(b))))));
  return underBed(turn.pcm, noise, SNR_DB, speechLevel);
}
