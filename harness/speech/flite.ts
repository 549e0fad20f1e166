import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from './audio.js';

/** When a word is spoken, in seconds from the start of the synthesized audio. */
export interface WordTiming {
  word: string;
  start: number;
  end: number;
}

export interface SynthesizedSpeech {
  pcm: Int16Array;
  sampleRate: number;
  /** One entry per spoken token of the input, in order, as written there (edge punctuation removed). */
  words: WordTiming[];
}

/** What the local providers speak with: flite, or flite behind a cache. */
export interface SpeechSynthesizer {
  synthesize(text: string, signal?: AbortSignal): Promise<SynthesizedSpeech>;
}

export interface FliteOptions {
  /** One of flite's built-in voices (see voices.ts). */
  voice: string;
  /** Speaking rate as flite's duration stretch: 1 is the voice's own, 1.3 is 30 % slower. */
  durationStretch?: number;
  binary?: string;
}

/**
 * Offline TTS with word timings, from Debian's flite. flite prints phone end times (`-psdur`) but not
 * word boundaries, so a second run speaks each token as its own sentence (`-ps`): the pauses between
 * them give each token's phone count, which splits the real utterance's phones into words. Both
 * runs go in parallel; flite needs ~30 ms a sentence here.
 */
export class FliteSynthesizer implements SpeechSynthesizer {
  readonly #voice: string;
  readonly #binary: string;
  readonly #rate: string[];

  constructor(opts: FliteOptions) {
    this.#voice = opts.voice;
    this.#binary = opts.binary ?? 'flite';
    this.#rate = opts.durationStretch ? ['--setf', `duration_stretch=${opts.durationStretch}`] : [];
  }

  async synthesize(text: string, signal?: AbortSignal): Promise<SynthesizedSpeech> {
    const tokens = spokenTokens(text);
    if (tokens.length === 0) return { pcm: new Int16Array(0), sampleRate: 16_000, words: [] };
    const dir = await mkdtemp(join(tmpdir(), 'flite-'));
    try {
      const wavPath = join(dir, 'speech.wav');
      const [segments, perToken] = await Promise.all([
        this.#run(['-psdur', '-t', text, '-o', wavPath], signal),
        this.#run(['-ps', '-t', `${tokens.join('. ')}.`, '-o', 'none'], signal),
      ]);
      const { pcm, sampleRate } = readWav(await readFile(wavPath));
      const parsed = parseSegments(segments);
      return trimLeadingPause({ pcm, sampleRate, words: alignWords(tokens, parsed, phoneCounts(perToken)) }, parsed);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #run(args: string[], signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#binary, ['-voice', this.#voice, ...this.#rate, ...args], { signal, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new Error(`${this.#binary} not found: run infra/install.sh`) : e),
      );
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(`${this.#binary} exited with ${code}: ${err.trim() || out.trim()}`));
      });
    });
  }
}

/** Silence kept before the first phone: about what a cloud TTS sends before speech. */
const KEPT_LEADING_PAUSE_SEC = 0.02;

/**
 * flite opens every utterance with a ~165 ms pause. A cloud TTS starts speaking within a few ms of
 * its first byte, so all but 20 ms of that pause is cut (word times shift with it): left in, every
 * reply would be heard ~145 ms after the provider's first byte, an artefact of the local engine.
 */
export function trimLeadingPause(speech: SynthesizedSpeech, segments: Segment[]): SynthesizedSpeech {
  const first = segments[0];
  if (first?.phone !== 'pau' || first.end <= KEPT_LEADING_PAUSE_SEC) return speech;
  const cutSec = first.end - KEPT_LEADING_PAUSE_SEC;
  const cut = Math.min(speech.pcm.length, Math.round(cutSec * speech.sampleRate));
  const shift = cut / speech.sampleRate;
  return {
    pcm: speech.pcm.slice(cut),
    sampleRate: speech.sampleRate,
    words: speech.words.map((w) => ({ word: w.word, start: Math.max(0, w.start - shift), end: Math.max(0, w.end - shift) })),
  };
}

/** Whitespace-separated tokens that flite will speak: those with a letter or digit, edge punctuation removed. */
export function spokenTokens(text: string): string[] {
  return text
    .split(/\s+/)
    .map((t) => t.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((t) => /[\p{L}\p{N}]/u.test(t));
}

export interface Segment {
  phone: string;
  start: number;
  end: number;
}

/** `pau:0.164 hh:0.255 ...` (end times) into segments with start and end. */
export function parseSegments(psdur: string): Segment[] {
  const segments: Segment[] = [];
  let previousEnd = 0;
  for (const item of psdur.trim().split(/\s+/)) {
    const [phone, end] = item.split(':');
    const endSec = Number(end);
    if (!phone || !Number.isFinite(endSec)) continue;
    segments.push({ phone, start: previousEnd, end: endSec });
    previousEnd = endSec;
  }
  return segments;
}

/** `pau w ay pau d ih d pau ...` into the number of phones between pauses. */
export function phoneCounts(ps: string): number[] {
  return ps
    .trim()
    .split(/\bpau\b/)
    .map((group) => group.trim().split(/\s+/).filter(Boolean).length)
    .filter((n) => n > 0);
}

export function alignWords(tokens: string[], segments: Segment[], counts: number[]): WordTiming[] {
  const phones = segments.filter((s) => s.phone !== 'pau');
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length === tokens.length && total === phones.length) {
    let next = 0;
    return tokens.map((word, i) => {
      const own = phones.slice(next, next + counts[i]!);
      next += counts[i]!;
      return { word, start: own[0]!.start, end: own[own.length - 1]!.end };
    });
  }
  return proportionalTimings(tokens, phones);
}

/** Fallback when the phone counts disagree (rare: context-dependent pronunciations): share the speech span by letters. */
function proportionalTimings(tokens: string[], phones: Segment[]): WordTiming[] {
  const start = phones[0]?.start ?? 0;
  const end = phones[phones.length - 1]?.end ?? start;
  const letters = tokens.reduce((n, t) => n + t.length, 0);
  let t = start;
  return tokens.map((word) => {
    const duration = ((end - start) * word.length) / letters;
    const timing = { word, start: t, end: t + duration };
    t += duration;
    return timing;
  });
}
