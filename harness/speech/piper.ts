import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type SpeechSynthesizer, type SynthesizedSpeech, spokenTokens } from './flite.js';

const VENV_PYTHON = fileURLToPath(new URL('../../.tools/piper-venv/bin/python', import.meta.url));
const SERVER = fileURLToPath(new URL('./piper/server.py', import.meta.url));

interface Reply {
  ready?: boolean;
  error?: string;
  sampleRate?: number;
  pcm?: string;
  words?: [number, number][];
}

export interface PiperOptions {
  /** Piper's length scale: 1 is the voice's own pace, 1.25 is 25 % slower. */
  lengthScale?: number;
}

/**
 * A neural caller voice (Piper en_US-joe-medium, piper/requirements.txt), for benchmarks that must
 * not be tuned on formant and diphone voices only. One Python process serves every request in turn;
 * word timings are the model's own phoneme durations. Needs harness/speech/piper/setup-venv.sh.
 */
export class PiperSynthesizer implements SpeechSynthesizer {
  #process?: ChildProcessWithoutNullStreams;
  #replies: ((reply: Reply) => void)[] = [];
  #ready?: Promise<void>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PiperOptions = {}) {}

  synthesize(text: string): Promise<SynthesizedSpeech> {
    return this.#request(text, this.opts.lengthScale ?? 1);
  }

  close(): void {
    this.#process?.stdin.end();
    this.#process = undefined;
  }

  #request(text: string, lengthScale: number): Promise<SynthesizedSpeech> {
    const run = this.#queue.then(async () => {
      await this.#start();
      const reply = await new Promise<Reply>((resolve) => {
        this.#replies.push(resolve);
        this.#process!.stdin.write(`${JSON.stringify({ text, lengthScale })}\n`);
      });
      if (reply.error !== undefined || !reply.pcm || !reply.sampleRate || !reply.words)
        throw new Error(`piper: ${reply.error ?? 'empty reply'} (${JSON.stringify(text)})`);
      const bytes = Buffer.from(reply.pcm, 'base64');
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const tokens = spokenTokens(text);
      return { pcm, sampleRate: reply.sampleRate, words: reply.words.map(([start, end], i) => ({ word: tokens[i] ?? '', start, end })) };
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    if (!existsSync(VENV_PYTHON)) return Promise.reject(new Error('piper is not installed: run harness/speech/piper/setup-venv.sh'));
    const child = spawn(VENV_PYTHON, [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#process = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.#ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const reply = JSON.parse(line) as Reply;
        if (reply.ready) resolve();
        else this.#replies.shift()?.(reply);
      });
      child.on('exit', (code) => {
        const error = new Error(`piper exited (${code}): ${stderr.trim()}`);
        reject(error);
        for (const waiting of this.#replies.splice(0)) waiting({ error: error.message });
        this.#ready = undefined;
      });
    });
    return this.#ready;
  }
}
