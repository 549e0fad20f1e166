import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from './audio.js';

/** Debian's festival voices that infra/install.sh installs: a diphone voice and an HTS (statistical parametric) one. */
export const FESTIVAL_VOICES = ['kal_diphone', 'cmu_us_slt_arctic_hts'] as const;
export type FestivalVoice = (typeof FESTIVAL_VOICES)[number];

export interface FestivalOptions {
  voice: FestivalVoice;
  /** Speaking rate as festival's Duration_Stretch (1.3 is 30 % slower); the HTS voice ignores it. */
  durationStretch?: number;
}

/**
 * Offline TTS from Debian's festival (`text2wave`), for callers whose voice is not flite's: its HTS
 * voice is smoother than any flite voice, which matters to a model that listens to intonation.
 * No word timings (flite.ts has them where a test needs them).
 */
export class FestivalSynthesizer {
  constructor(private readonly opts: FestivalOptions) {}

  async synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'festival-'));
    try {
      const wavPath = join(dir, 'speech.wav');
      const args = ['-eval', `(voice_${this.opts.voice})`];
      if (this.opts.durationStretch) args.push('-eval', `(Parameter.set 'Duration_Stretch ${this.opts.durationStretch})`);
      await run('text2wave', [...args, '-o', wavPath], text);
      const { pcm, sampleRate } = readWav(await readFile(wavPath));
      return { pcm, sampleRate };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function run(binary: string, args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`${binary}: ${e.message} (infra/install.sh installs festival)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} exited with ${code}: ${stderr.trim().slice(0, 300)}`))));
    child.stdin.end(stdin);
  });
}
