import { trimSilence } from '../../harness/speech/audio.js';
import { VoiceBank } from '../../harness/speech/voice-bank.js';
import { CALLER_VOICE } from '../../harness/speech/voices.js';

/**
 * What the simulated caller says in the benchmark: 24 utterances from about 1 to 5 seconds (flite,
 * in the caller's voice), short commands and long rambling questions, answered by the local LLM's
 * script (harness/local-providers/responses.yaml) or its fallback.
 */
export const CORPUS: readonly string[] = [
  'Hello there, can you hear me?',
  'Excuse me, what time is it now?',
  'Tell me a joke, if you know one.',
  'Sorry, who are you exactly?',
  'Is it going to rain?',
  'What is your name, please?',
  'Can you tell me something funny?',
  'How warm will it be this afternoon?',
  'I would like to know the time, please.',
  'What is the weather like in the city today?',
  'Could you make me laugh with a short story?',
  'Please tell me what hour it is right now.',
  'I am planning a walk later, will it be sunny outside?',
  'My friend asked me who you are, what should I tell her?',
  'Do you know any good jokes about animals or computers?',
  'I forgot my watch at home, can you tell me what time it is?',
  'We are going to the beach tomorrow, what temperature should we expect there?',
  'I had a long day at work and I would really like to hear something funny.',
  'Can you remind me of your name again, I did not catch it the first time?',
  'Before I leave the house this morning, should I take an umbrella with me?',
  'Thank you very much for that.',
  'My family and I want a long walk in the park this weekend, what will the weather be like?',
  'How many people live in a big city?',
  'Thanks for your help, goodbye.',
];

export interface CorpusUtterance {
  text: string;
  pcm: Int16Array;
  sampleRate: number;
  /** Who says it (harness/speech/voice-bank.ts). */
  voice: string;
  /** Length of the spoken audio, silence trimmed at both ends. */
  seconds: number;
}

/**
 * The voices the voice-to-voice benchmark's callers speak in: flite's slt, the voice the settings
 * were first tuned with, and two voices no setting was tuned on (the turn-taking benchmark's
 * held-out ones): a neural voice (Piper) and an HTS one (festival).
 */
export const LATENCY_VOICES = [`flite:${CALLER_VOICE}`, 'piper:joe', 'festival:cmu_us_slt_arctic_hts'] as const;

/** Synthesizes the corpus offline in each voice (voice by voice) and trims its leading and trailing silence. */
export async function synthesizeCorpus(
  texts: readonly string[] = CORPUS,
  voices: readonly string[] = [`flite:${CALLER_VOICE}`],
): Promise<CorpusUtterance[]> {
  const bank = new VoiceBank();
  try {
    const out: CorpusUtterance[] = [];
    for (const voice of voices) {
      for (const text of texts) {
        const speech = await bank.get(voice).synthesize(text);
        const pcm = trimSilence(speech.pcm, speech.sampleRate);
        out.push({ text, voice, pcm, sampleRate: speech.sampleRate, seconds: pcm.length / speech.sampleRate });
      }
    }
    return out;
  } finally {
    bank.close();
  }
}
