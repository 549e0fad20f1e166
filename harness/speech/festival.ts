import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from './audio.js';
import { type SpeechSynthesizer, type SynthesizedSpeech, spokenTokens, type WordTiming } from './flite.js';

/**
 * Debian's festival voices that infra/install.sh installs: two diphone voices (kal, ked) and an HTS
 * (statistical parametric) one.
 */
export const FESTIVAL_VOICES = ['kal_diphone', 'ked_diphone', 'cmu_us_slt_arctic_hts'] as const;
export type FestivalVoice = (typeof FESTIVAL_VOICES)[number];

export interface FestivalOptions {
  voice: FestivalVoice;
  /** Speaking rate as festival's Duration_Stretch (1.3 is 30 % slower); the HTS voice ignores it. */
  durationStretch?: number;
}

/**
 * Offline TTS from Debian's festival, for callers whose voice is not flite's: its HTS voice is
 * smoother than any flite voice, which matters to a model that listens to intonation. Word timings
 * come from festival's own utterance structure (each word's first and last segment).
 */
export class FestivalSynthesizer implements SpeechSynthesizer {
  constructor(private readonly opts: FestivalOptions) {}

  async synthesize(text: string): Promise<SynthesizedSpeech> {
    const tokens = spokenTokens(text);
    const dir = await mkdtemp(join(tmpdir(), 'festival-'));
    try {
      const wavPath = join(dir, 'speech.wav');
      const stretch = this.opts.durationStretch ? `(Parameter.set 'Duration_Stretch ${this.opts.durationStretch})` : '';
      const script = [
        `(voice_${this.opts.voice})`,
        stretch,
        `(set! u (SynthText ${JSON.stringify(text.replace(/\\/g, ''))}))`,
        `(utt.save.wave u ${JSON.stringify(wavPath)} 'riff)`,
        // One line per word: its first segment's start, last segment's end (seconds) and name.
        `(mapcar (lambda (w) (format t "word %s %s %s\\n" (item.feat w "R:SylStructure.daughter1.daughter1.segment_start") (item.feat w "R:SylStructure.daughtern.daughtern.segment_end") (item.name w))) (utt.relation.items u 'Word))`,
      ].join('\n');
      const out = await run('festival', ['--pipe'], script);
      const { pcm, sampleRate } = readWav(await readFile(wavPath));
      const spoken = out
        .split('\n')
        .filter((l) => l.startsWith('word '))
        .map((l) => {
          const [, start, end, name] = l.split(' ');
          return { name: name ?? '', start: Number(start), end: Number(end) };
        });
      return { pcm, sampleRate, words: wordsOfTokens(tokens, spoken, text) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const letters = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * The text's tokens timed by festival's words: a token can be several of them ("daughter's" is
 * "daughter" and "'s", the latter without a segment of its own), so words are taken until their
 * letters make the token's.
 */
function wordsOfTokens(tokens: string[], spoken: { name: string; start: number; end: number }[], text: string): WordTiming[] {
  let next = 0;
  return tokens.map((word) => {
    const want = letters(word);
    let got = '';
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    while (got.length < want.length && next < spoken.length) {
      const w = spoken[next++]!;
      got += letters(w.name);
      if (w.end > 0) {
        start = Math.min(start, w.start);
        end = Math.max(end, w.end);
      }
    }
    if (got !== want || end === 0) throw new Error(`festival's words do not spell ${JSON.stringify(word)} in ${JSON.stringify(text)}`);
    return { word, start, end };
  });
}

function run(binary: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`${binary}: ${e.message} (infra/install.sh installs festival)`)));
    child.on('close', (code) => {
      const error = /SIOD ERROR[^\n]*/.exec(stdout + stderr)?.[0];
      if (code === 0 && !error) resolve(stdout);
      else reject(new Error(`${binary} failed (${code}): ${(error ?? stderr.trim()).slice(0, 300)}`));
    });
    child.stdin.end(stdin);
  });
}
