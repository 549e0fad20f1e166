import { FliteSynthesizer } from './flite.js';
import { PocketsphinxRecognizer } from './pocketsphinx.js';

const PRIMER_TEXT = 'Hello, I would like to ask you a few questions today.';

/**
 * One sentence for a fresh pocketsphinx decoder to hear before anything else (see
 * PocketsphinxOptions.primer), in the voice it will mostly hear: the caller's for the providers'
 * transcription, the agent's for a simulated caller listening to the agent.
 */
export async function recognizerPrimer(voice: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
  return new FliteSynthesizer({ voice }).synthesize(PRIMER_TEXT);
}

/** A recognizer for speech in `voice`, primed with it and loaded. */
export async function primedRecognizer(voice: string): Promise<PocketsphinxRecognizer> {
  return PocketsphinxRecognizer.start({ primer: await recognizerPrimer(voice) });
}
