import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resample } from './audio.js';
import type { WordTiming } from './flite.js';

export interface Transcript {
  text: string;
  words: WordTiming[];
}

export interface PocketsphinxOptions {
  /** The recognizer built by infra/install.sh from native/ps_server.c. */
  binary?: string;
  /**
   * Speech decoded (and discarded) before anything else. A fresh decoder has no cepstral-mean
   * history and garbles its first utterance far more often (measured: "tell me a funny joke" heard
   * as "tell me if any job" by a fresh decoder, right once it had heard one sentence).
   */
  primer?: { pcm: Int16Array; sampleRate: number };
}

const DEFAULT_BINARY = fileURLToPath(new URL('../../.tools/bin/ps_server', import.meta.url));
/** Debian's pocketsphinx-en-us. */
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const RECOGNIZER_RATE = 16_000;
/** Audio is written in frames of at most this many bytes (the process buffers one frame at a time). */
const MAX_FRAME_BYTES = 1 << 20;

/** An utterance being recognized while it streams in. */
export interface RecognizerStream {
  write(pcm: Int16Array): void;
  /** No more audio: resolves with the final transcript. */
  end(): Promise<Transcript>;
}

/** What the local providers transcribe with: pocketsphinx, or a load benchmark's known sentences. */
export interface SpeechRecognizer {
  recognize(pcm: Int16Array, sampleRate: number): Promise<Transcript>;
  /** One utterance fed as it arrives; `onPartial` hears the hypotheses, where the recognizer makes any. */
  stream(sampleRate: number, onPartial?: (text: string) => void): RecognizerStream;
  /** Stops the recognizer, waiting at most `graceMs` for what it is decoding. */
  close(graceMs?: number): Promise<void>;
}

interface FinalLine {
  type: 'final';
  text: string;
  words: { w: string; start: number; end: number }[];
}

/**
 * Offline speech recognition through one long-lived pocketsphinx process (the model loads once,
 * in about a second). Requests are served one at a time, in order. If the process dies, pending
 * requests fail and the next request starts a new one.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  /** The recognizer infra/install.sh builds. */
  static readonly defaultBinary = DEFAULT_BINARY;

  #process?: ChildProcessWithoutNullStreams;
  #ready?: Promise<void>;
  #waiting: { resolve: (t: Transcript) => void; reject: (e: Error) => void; onPartial?: (text: string) => void }[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(private readonly opts: Required<Pick<PocketsphinxOptions, 'binary'>> & PocketsphinxOptions) {}

  static async start(opts: PocketsphinxOptions = {}): Promise<PocketsphinxRecognizer> {
    const recognizer = PocketsphinxRecognizer.startInBackground(opts);
    await recognizer.#ensureProcess();
    return recognizer;
  }

  /** Starts loading the model but returns at once; a failure to start surfaces on first use. */
  static startInBackground(opts: PocketsphinxOptions = {}): PocketsphinxRecognizer {
    const recognizer = new PocketsphinxRecognizer({ ...opts, binary: opts.binary ?? DEFAULT_BINARY });
    recognizer.#ensureProcess().catch(() => undefined);
    // Queued first, so every real utterance is decoded after it.
    if (opts.primer) recognizer.recognize(opts.primer.pcm, opts.primer.sampleRate).catch(() => undefined);
    return recognizer;
  }

  async recognize(pcm: Int16Array, sampleRate: number): Promise<Transcript> {
    const utterance = this.stream(sampleRate);
    let transcript: Promise<Transcript>;
    try {
      utterance.write(pcm);
    } finally {
      // The utterance holds the recognizer from `stream()` until it ends: a write that throws must not keep it.
      transcript = utterance.end();
    }
    return transcript;
  }

  /**
   * One utterance fed as it arrives: the recognizer decodes while the audio streams in, so the final
   * transcript is ready right after the last chunk. `onPartial` gets every changed hypothesis.
   * Utterances are decoded one after another: audio written while an earlier one runs is buffered.
   */
  stream(sampleRate: number, onPartial?: (text: string) => void): RecognizerStream {
    if (!(sampleRate > 0 && Number.isFinite(sampleRate))) throw new RangeError(`not a sample rate: ${sampleRate}`);
    let send: ((bytes: Buffer) => void) | undefined;
    const buffered: Buffer[] = [];
    let requestEnd!: () => void;
    const endRequested = new Promise<void>((resolve) => (requestEnd = resolve));
    const run = this.#queue.then(async () => {
      await this.#ensureProcess();
      const child = this.#process!;
      const result = new Promise<Transcript>((resolve, reject) => this.#waiting.push({ resolve, reject, onPartial }));
      child.stdin.write(frame('B'));
      send = (bytes) => {
        for (let offset = 0; offset < bytes.length; offset += MAX_FRAME_BYTES) {
          child.stdin.write(frame('A', bytes.subarray(offset, offset + MAX_FRAME_BYTES)));
        }
      };
      for (const bytes of buffered.splice(0)) send(bytes);
      await endRequested;
      child.stdin.write(frame('E'));
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return {
      write: (pcm) => {
        const samples = resample(pcm, sampleRate, RECOGNIZER_RATE);
        const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
        if (send) send(bytes);
        else buffered.push(bytes);
      },
      end: () => {
        requestEnd();
        return run;
      },
    };
  }

  /**
   * What the decoder has learnt of the voice and channel so far (its cepstral mean) is kept
   * (`keep`), or the one kept is taken back (`restore`), in order with the utterances before and
   * after: a benchmark decodes each call as a fresh decoder would, on one long-lived process.
   */
  adaptation(action: 'keep' | 'restore'): Promise<void> {
    const run = this.#queue.then(async () => {
      await this.#ensureProcess();
      this.#process!.stdin.write(frame(action === 'keep' ? 'S' : 'R'));
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops the process once it has decoded what it was given, or after `graceMs`: 0 for a decoder
   * whose results nobody awaits any more, so that it costs nothing from then on.
   */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  #ensureProcess(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('recognizer is closed'));
    if (this.#ready && this.#process?.exitCode === null) return this.#ready;
    if (!existsSync(this.opts.binary)) {
      return Promise.reject(new Error(`pocketsphinx recognizer not found at ${this.opts.binary}: run infra/install.sh`));
    }
    const child = spawn(this.opts.binary, [MODEL_DIR], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#process = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {}); // a dead process is reported through 'exit'
    this.#ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        let msg: { type?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          return;
        }
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'partial') this.#waiting[0]?.onPartial?.((msg as { text: string }).text);
        else if (msg.type === 'final') {
          const final = msg as FinalLine;
          this.#waiting.shift()?.resolve({
            text: final.text,
            words: final.words.map((w) => ({ word: w.w, start: w.start, end: w.end })),
          });
        }
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        const error = new Error(`pocketsphinx exited (${signal ?? code})${stderr ? `: ${stderr.trim()}` : ''}`);
        reject(error);
        for (const w of this.#waiting.splice(0)) w.reject(error);
      });
    });
    return this.#ready;
  }
}

function frame(type: 'B' | 'A' | 'E' | 'S' | 'R', payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'ascii');
  header.writeUInt32LE(payload.length, 1);
  return Buffer.concat([header, payload]);
}
