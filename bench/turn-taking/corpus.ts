import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { encodeWav, readWav, resample } from '../../harness/speech/audio.js';
import { spokenTokens, type WordTiming } from '../../harness/speech/flite.js';
import { prng } from '../../harness/speech/prng.js';
import { VoiceBank } from '../../harness/speech/voice-bank.js';

/** The rate every turn is made and replayed at: Silero's own. */
export const TURN_SAMPLE_RATE = 16_000;

/** Kinds of caller turn, each hard in its own way for a detector (turns-*.yaml say which is which). */
export const TURN_KINDS = ['complete', 'thinking-pause', 'digits', 'hesitation', 'list', 'trailing-off', 'short-answer'] as const;
export type TurnKind = (typeof TURN_KINDS)[number];

/**
 * What is tuned on and what is reported: separate scripts (turns-dev.yaml, turns-held-out.yaml, written
 * independently from the same brief) spoken by separate voices. Nothing is chosen on `held-out`.
 */
export const SPLITS = ['dev', 'held-out'] as const;
export type Split = (typeof SPLITS)[number];

/** The voices of each split (harness/speech/voice-bank.ts): engines and speakers the other split never hears. */
export const VOICES: Record<Split, readonly string[]> = {
  dev: ['flite:slt', 'flite:awb', 'flite:kal16', 'festival:kal_diphone'],
  'held-out': ['flite:rms', 'festival:ked_diphone', 'festival:cmu_us_slt_arctic_hts', 'piper:joe'],
};
/** Speaking rates as duration stretch (turn i of a split gets rate i mod 3). */
const RATES = [1, 1.2, 0.9] as const;

/** The silence inserted at each `|`, by kind (ms, uniform, seeded by the turn): people pause longer to think than between digit groups. */
const PAUSES_MS: Partial<Record<TurnKind, [number, number]>> = {
  'thinking-pause': [300, 1500],
  hesitation: [400, 1500],
  digits: [300, 1200],
  list: [300, 1000],
};

const scriptSchema = z.object({ kind: z.enum(TURN_KINDS), context: z.string().min(1), say: z.string().min(1) }).strict();
type Script = z.infer<typeof scriptSchema>;

export interface Turn {
  id: string;
  split: Split;
  kind: TurnKind;
  /** What the agent said just before: the conversational context of the turn. */
  context: string;
  /** What the caller says, `|` where they pause. */
  text: string;
  /** What is said in each piece of `speech`. */
  pieces: string[];
  voice: string;
  rate: number;
  /** The caller's audio (16 kHz), with silence before and after. */
  pcm: Int16Array;
  /** Each spoken piece, [start, end] ms from the start of `pcm`. */
  speech: [number, number][];
  /** When the caller finished: the end of the last piece (ms). */
  endMs: number;
}

/** Silence before the turn (the detector settles) and after it (room to decide, or not). */
const LEAD_MS = 1000;
const TAIL_MS = 4000;
/** Fade at each cut, so a cut between two words does not click. */
const FADE_MS = 5;

export function loadScripts(split: Split): Script[] {
  const file = new URL(`./turns-${split}.yaml`, import.meta.url);
  return z.array(scriptSchema).parse(parse(readFileSync(file, 'utf8')));
}

/**
 * Every turn of both splits. Each utterance is synthesized whole and cut at the word boundaries its
 * script marks, so a piece before a pause keeps the intonation of a sentence going on (synthesized
 * alone, it would fall as a sentence ends). Synthesis is cached in `cacheDir`.
 */
export async function synthesizeTurns(cacheDir: string): Promise<Turn[]> {
  mkdirSync(cacheDir, { recursive: true });
  const voices = new VoiceBank();
  try {
    const turns: Turn[] = [];
    for (const split of SPLITS) {
      for (const [i, script] of loadScripts(split).entries()) {
        const voice = VOICES[split][i % VOICES[split].length]!;
        const rate = RATES[Math.floor(i / VOICES[split].length) % RATES.length]!;
        const speech = await cached(cacheDir, voice, rate, script.say, () =>
          voices.get(voice, rate).synthesize(script.say.replace(/\|/g, ' ')),
        );
        turns.push(cutIntoTurn(script, speech, { id: `${split}-${i}`, split, voice, rate }));
      }
    }
    return turns;
  } finally {
    voices.close();
  }
}

interface Speech {
  pcm: Int16Array;
  words: WordTiming[];
}

async function cached(
  dir: string,
  voice: string,
  rate: number,
  text: string,
  make: () => Promise<{ pcm: Int16Array; sampleRate: number; words: WordTiming[] }>,
): Promise<Speech> {
  const key = createHash('sha256')
    .update(JSON.stringify([voice, rate, text]))
    .digest('hex')
    .slice(0, 24);
  const wav = join(dir, `${key}.wav`);
  const words = join(dir, `${key}.json`);
  if (existsSync(wav) && existsSync(words))
    return { pcm: readWav(readFileSync(wav)).pcm, words: JSON.parse(readFileSync(words, 'utf8')) as WordTiming[] };
  const s = await make();
  const pcm = resample(s.pcm, s.sampleRate, TURN_SAMPLE_RATE);
  writeFileSync(wav, encodeWav(pcm, TURN_SAMPLE_RATE));
  writeFileSync(words, JSON.stringify(s.words));
  return { pcm, words: s.words };
}

/** The whole utterance cut at its `|` marks, with seeded pauses between the pieces. */
export function cutIntoTurn(script: Script, speech: Speech, meta: Pick<Turn, 'id' | 'split' | 'voice' | 'rate'>): Turn {
  const pieces = script.say.split('|').map((p) => p.trim());
  const counts = pieces.map((p) => spokenTokens(p).length);
  if (counts.reduce((a, b) => a + b, 0) !== speech.words.length)
    throw new Error(`${meta.id}: ${speech.words.length} word timings for ${JSON.stringify(script.say)}`);
  const at = (seconds: number) => Math.max(0, Math.min(speech.pcm.length, Math.round(seconds * TURN_SAMPLE_RATE)));
  const random = prng(hashSeed(meta.id));
  const [lo, hi] = PAUSES_MS[script.kind] ?? [0, 0];
  const pausesMs = pieces.slice(1).map(() => Math.round(lo + random() * (hi - lo)));
  // Each piece from its first word's start to its last word's end.
  let first = 0;
  const spans = counts.map((n) => {
    const span = [at(speech.words[first]!.start), at(speech.words[first + n - 1]!.end)] as const;
    first += n;
    return span;
  });
  const ms = (samples: number) => (samples / TURN_SAMPLE_RATE) * 1000;
  const lead = at(LEAD_MS / 1000);
  const total = lead + spans.reduce((n, [a, b]) => n + b - a, 0) + pausesMs.reduce((n, p) => n + at(p / 1000), 0) + at(TAIL_MS / 1000);
  const pcm = new Int16Array(total);
  const placed: [number, number][] = [];
  let cursor = lead;
  spans.forEach(([a, b], k) => {
    pcm.set(faded(speech.pcm.subarray(a, b)), cursor);
    placed.push([ms(cursor), ms(cursor + b - a)]);
    cursor += b - a + at((pausesMs[k] ?? 0) / 1000);
  });
  return { ...meta, kind: script.kind, context: script.context, text: script.say, pieces, pcm, speech: placed, endMs: placed.at(-1)![1] };
}

function faded(piece: Int16Array): Int16Array {
  const out = Int16Array.from(piece);
  const n = Math.min(Math.round((FADE_MS / 1000) * TURN_SAMPLE_RATE), Math.floor(out.length / 2));
  for (let i = 0; i < n; i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / n);
    out[i] = Math.round(out[i]! * g);
    out[out.length - 1 - i] = Math.round(out[out.length - 1 - i]! * g);
  }
  return out;
}

function hashSeed(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32LE(0);
}
