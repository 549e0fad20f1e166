import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnergyEndpointer } from '../../harness/local-providers/energy-endpointer.js';
import { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { type Band, recognizerPrimer } from '../../harness/speech/recognizer-primer.js';
import { CALLER_VOICE } from '../../harness/speech/voices.js';
import { TURN_SAMPLE_RATE } from './corpus.js';
import type { VadSegment } from './vad-replay.js';

/**
 * What the agent's STT gives for a turn and when, as the local providers' realtime transcription
 * gives it (streaming pocketsphinx, the code path of `STT_PROVIDER=local`): the words are the
 * recognizer's own, decoded from the audio of each committed utterance.
 *
 * When: an utterance's final transcript arrives `FINAL_AFTER_COMMIT_MS` after its commit. Measured
 * streaming 24 utterances of 2-8 s at real time into ps_server: 21-113 ms from the end of input to
 * the final (median ~45 ms), with no trend in the utterance's length; plus the WebSocket and the
 * plugin, a few ms. A provider latency profile adds its STT delay on top.
 */
export const FINAL_AFTER_COMMIT_MS = 50;

/**
 * agents-js reads the caller's audio 50 ms at a time (patches/: Python's frame size): the VAD hears
 * a window, and the agent acts on what it decides, up to a frame after the audio was spoken.
 */
export const INPUT_FRAME_LAG_MS = 25;

/** Who ends an utterance for the STT: the agent's VAD (`STT_COMMIT=agent`) or the provider's own silence (`provider`). */
export type CommitMode = { kind: 'agent' } | { kind: 'provider'; silenceMs: number };

/** One utterance the STT transcribed: the audio it was given, when it was committed and when its final came. */
export interface SttUtterance {
  /** The provider's speech start (ms of audio), where it reports one (server VAD). */
  speechStartedAt?: number;
  fromMs: number;
  committedAt: number;
  finalAt: number;
  text: string;
}

/** The provider's server VAD's padding before speech, as the agent configures it (agent/providers/build.ts). */
const PROVIDER_PREFIX_MS = 300;

/** Commit points for a turn's audio: at each VAD end of speech (agent), or where the provider's server VAD closes one. */
export function commitPoints(
  mode: CommitMode,
  pcm: Int16Array,
  vad: VadSegment[],
): { speechStartedAt?: number; fromMs: number; committedAt: number }[] {
  if (mode.kind === 'agent') {
    const out: { fromMs: number; committedAt: number }[] = [];
    let from = 0;
    for (const s of vad) {
      if (s.end === undefined) continue;
      const at = s.end + INPUT_FRAME_LAG_MS;
      out.push({ fromMs: from, committedAt: at });
      from = at;
    }
    return out;
  }
  const endpointer = new EnergyEndpointer({ sampleRate: TURN_SAMPLE_RATE, silenceMs: mode.silenceMs, prefixMs: PROVIDER_PREFIX_MS });
  const ms = (samples: number) => (samples / TURN_SAMPLE_RATE) * 1000;
  const out: { speechStartedAt?: number; fromMs: number; committedAt: number }[] = [];
  let opened: number | undefined;
  let openedAt = 0;
  for (let at = 0; at + endpointer.frameSamples <= pcm.length; at += endpointer.frameSamples) {
    const step = endpointer.step(pcm.subarray(at, at + endpointer.frameSamples));
    const now = ms(at + endpointer.frameSamples);
    if (step.kind === 'opened') {
      opened = ms(step.startSample);
      openedAt = now;
    } else if (step.kind === 'closed' && opened !== undefined) {
      out.push({ speechStartedAt: openedAt, fromMs: opened, committedAt: now });
      opened = undefined;
    }
  }
  return out;
}

/**
 * Transcribes committed utterances with the local providers' recognizer (pocketsphinx as the
 * realtime transcription runs it). As there, each turn (a call) is decoded as by a fresh decoder
 * primed with one sentence in the caller-like voice over its band: a decoder carries its cepstral
 * mean from one utterance to the next, and one shared across turns of other voices heard 0.62 of the
 * words where fresh ones heard 0.66 (30 turns). Each process is primed once and goes back to that
 * state before every turn (PocketsphinxRecognizer.adaptation), so the results do not depend on the
 * order turns are decoded in; each turn's transcripts are cached on disk by its audio.
 */
export class SttReplay {
  readonly #free: Record<Band, PocketsphinxRecognizer[]>;
  readonly #waiting: ((r: PocketsphinxRecognizer) => void)[] = [];

  private constructor(
    recognizers: Record<Band, PocketsphinxRecognizer[]>,
    private readonly cacheDir: string,
    /** Which build of the recognizer this is (its binary's hash): transcripts are its own. */
    readonly recognizer: string,
  ) {
    this.#free = recognizers;
  }

  /** `parallel` decoders per band. */
  static async start(cacheDir: string, parallel = 2): Promise<SttReplay> {
    // Transcripts are the recognizer's: another build of it (other settings) keeps its own.
    const recognizer = createHash('sha256').update(readFileSync(PocketsphinxRecognizer.defaultBinary)).digest('hex').slice(0, 12);
    cacheDir = join(cacheDir, recognizer);
    mkdirSync(cacheDir, { recursive: true });
    const primed = async (band: Band) => {
      const primer = await recognizerPrimer(CALLER_VOICE, band);
      return Promise.all(
        Array.from({ length: parallel }, async () => {
          const r = await PocketsphinxRecognizer.start({ primer });
          await r.adaptation('keep');
          return r;
        }),
      );
    };
    return new SttReplay({ wide: await primed('wide'), phone: await primed('phone') }, cacheDir, recognizer);
  }

  /** The utterances of one turn's audio under `mode`, with their transcripts and arrival times. */
  async utterances(mode: CommitMode, pcm: Int16Array, vad: VadSegment[], band: Band, sttDelayMs = 0): Promise<SttUtterance[]> {
    const at = (ms: number) => Math.max(0, Math.min(pcm.length, Math.round((ms / 1000) * TURN_SAMPLE_RATE)));
    const commits = commitPoints(mode, pcm, vad);
    const texts = await this.#transcribe(
      band,
      commits.map((c) => pcm.subarray(at(c.fromMs), at(c.committedAt))),
    );
    return commits.map((c, i) => ({ ...c, finalAt: c.committedAt + FINAL_AFTER_COMMIT_MS + sttDelayMs, text: texts[i]! }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#free.wide, ...this.#free.phone].map((r) => r.close(0)));
  }

  /** One turn's utterances, in order, by one decoder back in its primed state (or from the cache). */
  async #transcribe(band: Band, audio: Int16Array[]): Promise<string[]> {
    const hash = createHash('sha256').update(band);
    for (const a of audio) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).update('|');
    const file = join(this.cacheDir, `${hash.digest('hex').slice(0, 32)}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as string[];
    const free = this.#free[band];
    while (free.length === 0) await new Promise<void>((resolve) => this.#waiting.push(() => resolve()));
    const recognizer = free.pop()!;
    try {
      await recognizer.adaptation('restore');
      const texts: string[] = [];
      for (const a of audio) texts.push((await recognizer.recognize(a, TURN_SAMPLE_RATE)).text);
      writeFileSync(file, JSON.stringify(texts));
      return texts;
    } finally {
      free.push(recognizer);
      this.#waiting.shift()?.(recognizer);
    }
  }
}
