import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VAD } from '@livekit/agents';
import { DEFAULT_SPEECH_LEVEL_GATE, SpeechLevelGate } from '../../plugins/speech-level-gate/index.js';
import type { TextEndOfTurnScore } from '../../plugins/text-end-of-turn/index.js';
import type { Condition } from './conditions.js';
import { TURN_SAMPLE_RATE, type Turn } from './corpus.js';
import type { AudioEndOfTurnScores, TextEndOfTurnScores } from './signals.js';
import { type CommitMode, INPUT_FRAME_LAG_MS, type SttReplay, type SttUtterance } from './stt-replay.js';
import { type VadSegment, vadSegments } from './vad-replay.js';

/** The framework asks the audio model once the VAD has counted this much silence (agents-js inference/eot/base.ts: MIN_SILENCE_DURATION_MS). */
export const AUDIO_MODEL_SILENCE_MS = 200;
/** turn-detector-v1-mini's time for one prediction on this machine (README of shared/reference: ~83 ms). */
export const AUDIO_MODEL_LATENCY_MS = 83;

/** How the agent hears a turn: the gate before its VAD, who commits to the STT, when the audio model is asked. */
export interface Pipeline {
  /** The VAD hears the audio through SpeechLevelGate. */
  gate: boolean;
  commit: CommitMode;
  /** `tick`: as the framework's streaming detector asks, once the VAD has counted 200 ms of silence; `end`: at the VAD's end of speech. */
  audioAskedAt: 'tick' | 'end';
  /** The text end-of-turn model is asked on every transcript. */
  text: boolean;
}

/** Everything a detector can know of one turn under one condition, with when it knew it. */
export interface TurnReplay {
  turn: Turn;
  condition: Condition;
  vad: VadSegment[];
  stt: SttUtterance[];
  /** Per VAD segment: the audio model's probability and when it was ready (ms of audio), if asked. */
  audio: ({ probability: number; readyAt: number } | undefined)[];
  /** Per transcript so far (every final from the turn's start): the text model's scores. */
  text: Map<string, TextEndOfTurnScore & { latencyMs: number }>;
}

export interface Engines {
  vad: VAD;
  stt: SttReplay;
  audio: AudioEndOfTurnScores;
  text?: TextEndOfTurnScores;
}

/** Replays one turn's audio (already under its condition) through the agent's pipeline. */
export async function collect(
  turn: Turn,
  condition: Condition,
  heard: Int16Array,
  pipeline: Pipeline,
  engines: Engines,
  sttDelayMs = 0,
): Promise<TurnReplay> {
  const vadInput = pipeline.gate
    ? new SpeechLevelGate({ sampleRate: TURN_SAMPLE_RATE, ...DEFAULT_SPEECH_LEVEL_GATE }).process(heard)
    : heard;
  const vad = await vadSegments(engines.vad, vadInput);
  const stt = await engines.stt.utterances(pipeline.commit, heard, vad, condition === 'phone' ? 'phone' : 'wide', sttDelayMs);
  const audio = await Promise.all(
    vad.map(async (s) => {
      if (s.end === undefined) return undefined;
      const lastSpeech = s.end - (s.silence ?? 0);
      // The framework's tick comes only while the VAD still counts the caller as speaking.
      if (pipeline.audioAskedAt === 'tick' && (s.silence ?? 0) < AUDIO_MODEL_SILENCE_MS) return undefined;
      const askedAt = (pipeline.audioAskedAt === 'tick' ? lastSpeech + AUDIO_MODEL_SILENCE_MS : s.end) + INPUT_FRAME_LAG_MS;
      return { probability: await engines.audio.probability(heard, askedAt), readyAt: askedAt + AUDIO_MODEL_LATENCY_MS };
    }),
  );
  const text: TurnReplay['text'] = new Map();
  if (pipeline.text && engines.text) {
    let words = '';
    for (const u of stt) {
      if (!u.text) continue;
      words = `${words} ${u.text}`.trim();
      text.set(words, await engines.text.score(turn.context, words));
    }
  }
  return { turn, condition, vad, stt, audio, text };
}

/** A replay as stored: its turn by id, its text scores as entries. */
interface StoredReplay {
  turn: string;
  condition: Condition;
  vad: VadSegment[];
  stt: SttUtterance[];
  audio: TurnReplay['audio'];
  text: [string, TextEndOfTurnScore & { latencyMs: number }][];
}

/**
 * Every turn under every condition through `pipeline`, kept on disk under a key of everything that
 * shapes it (`signature`): rerunning the analysis does not replay the audio again.
 */
export async function collectAll(
  turns: Turn[],
  conditions: readonly Condition[],
  heard: (turn: Turn, condition: Condition) => Int16Array,
  pipeline: Pipeline,
  engines: Engines,
  opts: { cacheDir: string; signature: unknown; sttDelayMs: number; parallel: number },
): Promise<TurnReplay[]> {
  const file = join(
    opts.cacheDir,
    `${createHash('sha256')
      .update(JSON.stringify([pipeline, opts.signature, opts.sttDelayMs, turns.map((t) => t.id)]))
      .digest('hex')
      .slice(0, 24)}.json`,
  );
  const byId = new Map(turns.map((t) => [t.id, t]));
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredReplay[];
    return stored.map((r) => ({ ...r, turn: byId.get(r.turn)!, text: new Map(r.text) }));
  }
  const out: TurnReplay[] = [];
  for (const condition of conditions) {
    const started = performance.now();
    out.push(
      ...(await inParallel(turns, opts.parallel, (turn) =>
        collect(turn, condition, heard(turn, condition), pipeline, engines, opts.sttDelayMs),
      )),
    );
    console.log(`  ${condition}: ${turns.length} turns replayed in ${Math.round((performance.now() - started) / 1000)} s`);
  }
  mkdirSync(opts.cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(out.map((r): StoredReplay => ({ ...r, turn: r.turn.id, text: [...r.text] }))));
  return out;
}

/** `run` over `items`, at most `limit` at a time, results in order. */
async function inParallel<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await run(items[i]!);
      }
    }),
  );
  return out;
}
