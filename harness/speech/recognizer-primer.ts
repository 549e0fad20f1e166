import { resample } from './audio.js';
import { FliteSynthesizer } from './flite.js';
import { throughPhoneLine } from './phone-line.js';
import { PocketsphinxRecognizer } from './pocketsphinx.js';

const PRIMER_TEXT = 'Hello, I would like to ask you a few questions today.';
/** A rate the phone line takes (a multiple of 8 kHz). */
const PHONE_PRIMER_RATE = 48_000;

/** The audio a recognizer will hear: full band, or through a phone line. */
export type Band = 'wide' | 'phone';

/**
 * One sentence for a fresh pocketsphinx decoder to hear before anything else (see
 * PocketsphinxOptions.primer), in the voice and over the channel it will mostly hear: the caller's
 * for the providers' transcription, the agent's for a simulated caller listening to the agent. The
 * channel matters as much as the voice: a decoder primed with full-band speech recognized about
 * one word in ten of a first phone-band utterance, one primed through a phone line seven in ten.
 */
export async function recognizerPrimer(voice: string, band: Band = 'wide'): Promise<{ pcm: Int16Array; sampleRate: number }> {
  const speech = await new FliteSynthesizer({ voice }).synthesize(PRIMER_TEXT);
  if (band === 'wide') return speech;
  return {
    pcm: throughPhoneLine(resample(speech.pcm, speech.sampleRate, PHONE_PRIMER_RATE), PHONE_PRIMER_RATE),
    sampleRate: PHONE_PRIMER_RATE,
  };
}

/** A recognizer for speech in `voice` over `band`, primed with it and loaded. */
export async function primedRecognizer(voice: string, band: Band = 'wide'): Promise<PocketsphinxRecognizer> {
  return PocketsphinxRecognizer.start({ primer: await recognizerPrimer(voice, band) });
}
