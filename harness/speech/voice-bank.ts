import { FESTIVAL_VOICES, FestivalSynthesizer, type FestivalVoice } from './festival.js';
import { FliteSynthesizer, type SpeechSynthesizer } from './flite.js';
import { PiperSynthesizer } from './piper.js';

/**
 * Caller voices by name, `engine:voice` (`flite:slt`, `festival:cmu_us_slt_arctic_hts`, `piper:joe`),
 * at a speaking rate as duration stretch (1 is the voice's own). One synthesizer per voice and rate
 * is kept for the bank's life: Piper's process takes seconds to load.
 */
export class VoiceBank {
  readonly #made = new Map<string, SpeechSynthesizer & { close?(): void }>();

  get(voice: string, rate = 1): SpeechSynthesizer {
    const key = `${voice}@${rate}`;
    let s = this.#made.get(key);
    if (!s) {
      const [engine, name] = voice.split(':') as [string, string | undefined];
      if (engine === 'flite' && name) s = new FliteSynthesizer({ voice: name, durationStretch: rate });
      else if (engine === 'festival' && (FESTIVAL_VOICES as readonly string[]).includes(name ?? ''))
        s = new FestivalSynthesizer({ voice: name as FestivalVoice, durationStretch: rate });
      else if (voice === 'piper:joe') s = new PiperSynthesizer({ lengthScale: rate });
      else throw new Error(`unknown voice ${JSON.stringify(voice)}: flite:<voice>, festival:${FESTIVAL_VOICES.join('|')} or piper:joe`);
      this.#made.set(key, s);
    }
    return s;
  }

  close(): void {
    for (const s of this.#made.values()) s.close?.();
    this.#made.clear();
  }
}
