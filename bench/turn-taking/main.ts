import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import { loadConfig } from '../../agent/config/load.js';
import { endpointingDelays, endsUnfinished } from '../../agent/session/endpointing-policy.js';
import { renderTradeOff } from './chart.js';
import { CONDITIONS, type Condition, LineConditions } from './conditions.js';
import { type Turn, type TurnKind, synthesizeTurns } from './corpus.js';
import { LocalEndOfTurnModel, wordsBy } from './eot-replay.js';
import { endOfTurnDecisions, loadVad, type VadSegment, vadSegments } from './replay.js';
import { CHOICE_MAX_FALSE_CUT_OFFS, type Detector, type SettingResult, type TurnOutcome, type TurnSetting, choose, falseCutOffRate, summarizeOutcomes, turnOutcome } from './score.js';
import { runBenchmark } from '../bench-main.js';

const USAGE = `usage: npm run bench -- turn-taking [--out DIR]
Replays ${'≥'}60 synthesized caller turns (thinking pauses, dictated digits, hesitations, short answers;
four flite and two festival voices at three rates) under four line conditions (clean, babble and music at 10 dB SNR,
phone band) through the Silero VAD plugin, sweeping its activation threshold and minimum silence and
the endpointing delay after it; then through the same VAD and the offline audio end-of-turn model
(turn-detector-v1-mini), with and without the agent's endpointing policy, sweeping their delays.
Writes report.md, report.json and trade-off.svg.`;

const ACTIVATION_THRESHOLDS = [0.3, 0.5, 0.7];
const MIN_SILENCES_MS = [150, 300, 550];
const ENDPOINTING_DELAYS_MS = [0, 300, 500, 800, 1200, 1600];
/** The model is asked after 200 ms of silence: the VAD must not end the segment before that. */
const MODEL_VAD_SETTINGS = [250, 300].map((minSilenceDurationMs) => ({ activationThreshold: 0.5, minSilenceDurationMs }));
const COMPLETE_DELAYS_MS = [0, 100, 200, 300, 500];
const UNSURE_DELAYS_MS = [800, 1200, 1600, 2000, 2500];
const UNFINISHED_DELAYS_MS = [1200, 1600, 2000];
/** The model's "not done" threshold: its own for English (0.36), and lower ones, since on flite's voices it rarely says done. */
const MODEL_THRESHOLDS = [0.15, 0.2, 0.25, 0.3, 0.36];
/** The old default, the "before" of the report: the VAD alone, 300 ms of silence, then 500 ms. */
const VAD_ONLY_BEFORE: TurnSetting = { detector: 'vad', activationThreshold: 0.5, minSilenceDurationMs: 300, endpointingDelayMs: 500 };

/** The agent's own setting today, from its configuration's defaults. */
function currentSetting(): TurnSetting {
  const { turn } = loadConfig({ LIVEKIT_URL: 'ws://unused', LIVEKIT_API_KEY: 'unused', LIVEKIT_API_SECRET: 'unused' });
  const vad = { activationThreshold: turn.vadActivationThreshold, minSilenceDurationMs: turn.vadMinSilenceMs };
  if (turn.detector === 'vad') return { detector: 'vad+policy', ...vad, endpointingDelayMs: turn.minEndpointingDelayMs, unfinishedDelayMs: turn.unfinishedDelayMs };
  // The policy's phone extra is not swept: the phone condition is measured with the others' delays.
  return {
    detector: 'eot+policy',
    ...vad,
    endpointingDelayMs: turn.minEndpointingDelayMs,
    unsureDelayMs: turn.maxEndpointingDelayMs,
    unfinishedDelayMs: turn.unfinishedDelayMs,
    modelThreshold: turn.modelThreshold,
  };
}

const sameSetting = (a: TurnSetting, b: TurnSetting) =>
  a.detector === b.detector &&
  a.activationThreshold === b.activationThreshold &&
  a.minSilenceDurationMs === b.minSilenceDurationMs &&
  a.endpointingDelayMs === b.endpointingDelayMs &&
  a.unsureDelayMs === b.unsureDelayMs &&
  a.unfinishedDelayMs === b.unfinishedDelayMs &&
  a.modelThreshold === b.modelThreshold;
const describe = (s: TurnSetting) =>
  `${s.detector}: threshold ${s.activationThreshold}, min silence ${s.minSilenceDurationMs} ms, ` +
  (s.detector.startsWith('vad') ? `endpointing ${s.endpointingDelayMs}` : `model below ${s.modelThreshold}: done ${s.endpointingDelayMs} / not done ${s.unsureDelayMs}`) +
  `${s.unfinishedDelayMs ? ` / unfinished word ${s.unfinishedDelayMs}` : ''} ms`;
const pct = (r: SettingResult) => `${(falseCutOffRate(r) * 100).toFixed(1)} %`;
const ms = (v: number | undefined) => (v === undefined ? '–' : String(Math.round(v)));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join('.run/bench', `turn-taking-${new Date().toISOString().replace(/[:.]/g, '-')}`) }, help: { type: 'boolean' } } });
  if (values.help) return console.log(USAGE);
  initializeLogger({ pretty: false, level: 'error' }); // the VAD warns when it runs faster than real time on purpose
  mkdirSync(values.out, { recursive: true });

  const turns = await synthesizeTurns();
  const lines = await LineConditions.create();
  console.log(`${turns.length} turns (${countBy(turns.map((t) => t.kind)).join(', ')})`);

  const results: SettingResult[] = [];
  /** Per condition, how each kind of turn fared with the old and the current setting. */
  const byKind: Record<'before' | 'current', Record<string, Record<TurnKind, TurnOutcome[]>>> = { before: {}, current: {} };
  const current = currentSetting();
  const record = (condition: Condition, setting: TurnSetting, outcomes: TurnOutcome[]) => {
    results.push(summarizeOutcomes(condition, setting, outcomes));
    if (sameSetting(setting, VAD_ONLY_BEFORE)) byKind.before[condition] = groupByKind(turns, outcomes);
    if (sameSetting(setting, current)) byKind.current[condition] = groupByKind(turns, outcomes);
  };
  // What the detector hears under each condition, made once (the phone line's resampling is slow).
  const heard = Object.fromEntries(CONDITIONS.map((c) => [c, turns.map((t) => lines.apply(t, c))])) as Record<Condition, Int16Array[]>;
  for (const activationThreshold of ACTIVATION_THRESHOLDS) {
    for (const minSilenceDurationMs of MIN_SILENCES_MS) {
      const vad = await loadVad({ activationThreshold, minSilenceDurationMs });
      for (const condition of CONDITIONS) {
        const started = performance.now();
        const segments: VadSegment[][] = [];
        for (const audio of heard[condition]) segments.push(await vadSegments(vad, audio));
        for (const endpointingDelayMs of ENDPOINTING_DELAYS_MS) {
          const setting: TurnSetting = { detector: 'vad', activationThreshold, minSilenceDurationMs, endpointingDelayMs };
          record(condition, setting, turns.map((turn, i) => turnOutcome(turn, endOfTurnDecisions(segments[i]!, endpointingDelayMs))));
        }
        console.log(`  threshold ${activationThreshold}, min silence ${minSilenceDurationMs} ms, ${condition}: ${Math.round(performance.now() - started)} ms`);
      }
    }
  }

  // The end-of-turn model is asked once per segment; the delays it chooses between are then swept.
  const model = LocalEndOfTurnModel.load();
  for (const vadSetting of MODEL_VAD_SETTINGS) {
    const vad = await loadVad(vadSetting);
    for (const condition of CONDITIONS) {
      const started = performance.now();
      const segments: VadSegment[][] = [];
      const probabilities: (number | undefined)[][] = [];
      for (const [i, audio] of heard[condition].entries()) {
        segments.push(await vadSegments(vad, audio));
        probabilities.push(await model.probabilities(audio, segments[i]!));
      }
      const sweep = (setting: TurnSetting, delayFor: (turn: Turn, segment: VadSegment, p: number | undefined) => number) =>
        record(condition, setting, turns.map((turn, i) => turnOutcome(turn, endOfTurnDecisions(segments[i]!, (k) => delayFor(turn, segments[i]![k]!, probabilities[i]![k])))));
      const policyFor = (complete: number, unsure: number, unfinished: number) => ({ completeDelayMs: complete, unsureDelayMs: unsure, unfinishedDelayMs: unfinished, phoneExtraDelayMs: 0, transcriptWaitMs: 0 });
      // The replay's STT is the script: each segment's words are there when it ends, none owed.
      const signals = (turn: Turn, segment: VadSegment) => ({ unfinished: endsUnfinished(wordsBy(turn, segment)), phoneLine: false, transcriptPending: false });
      for (const complete of COMPLETE_DELAYS_MS) {
        for (const unfinished of UNFINISHED_DELAYS_MS) {
          const policy = policyFor(complete, complete, unfinished);
          sweep({ detector: 'vad+policy', ...vadSetting, endpointingDelayMs: complete, unfinishedDelayMs: unfinished }, (turn, segment) => endpointingDelays(signals(turn, segment), policy).minDelay);
        }
        for (const modelThreshold of MODEL_THRESHOLDS) {
          // No prediction (the VAD ended the segment before the model was asked): the framework takes the "done" delay.
          const saysDone = (p: number | undefined) => p === undefined || p >= modelThreshold;
          for (const unsure of UNSURE_DELAYS_MS) {
            sweep({ detector: 'eot', ...vadSetting, endpointingDelayMs: complete, unsureDelayMs: unsure, modelThreshold }, (_t, _s, p) => (saysDone(p) ? complete : unsure));
            for (const unfinished of UNFINISHED_DELAYS_MS) {
              const policy = policyFor(complete, unsure, unfinished);
              sweep({ detector: 'eot+policy', ...vadSetting, endpointingDelayMs: complete, unsureDelayMs: unsure, unfinishedDelayMs: unfinished, modelThreshold }, (turn, segment, p) => {
                const delays = endpointingDelays(signals(turn, segment), policy);
                return saysDone(p) ? delays.minDelay : delays.maxDelay;
              });
            }
          }
        }
      }
      console.log(`  end-of-turn model, min silence ${vadSetting.minSilenceDurationMs} ms, ${condition}: ${Math.round(performance.now() - started)} ms`);
    }
  }

  const markdown = renderReport(turns, results, current, byKind);
  writeFileSync(join(values.out, 'report.md'), markdown);
  writeFileSync(join(values.out, 'report.json'), JSON.stringify({ turns: turns.map(({ pcm: _pcm, ...t }) => t), current, results }, null, 2));
  writeFileSync(join(values.out, 'trade-off.svg'), renderTradeOff('Turn-taking: false cut-offs vs end-of-turn delay', results, (r) => sameSetting(r.setting, current)));
  console.log(`\n${markdown}\nreport: ${values.out}/report.md`);
}

function countBy(items: string[]): string[] {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`);
}

function groupByKind(turns: Turn[], outcomes: TurnOutcome[]): Record<TurnKind, TurnOutcome[]> {
  const out = {} as Record<TurnKind, TurnOutcome[]>;
  turns.forEach((t, i) => (out[t.kind] ??= []).push(outcomes[i]!));
  return out;
}

function renderReport(turns: Turn[], results: SettingResult[], current: TurnSetting, byKind: Record<'before' | 'current', Record<string, Record<TurnKind, TurnOutcome[]>>>): string {
  const row = (r: SettingResult, label: string) => `| ${label} | ${r.condition} | ${describe(r.setting)} | ${pct(r)} | ${ms(r.delay?.p50)} | ${ms(r.delay?.p95)} | ${r.missed} |`;
  const out = [
    '# Turn-taking benchmark (offline replay)',
    '',
    `${turns.length} caller turns, synthesized with flite (voices slt, awb, rms, kal16) and festival (kal_diphone, the HTS voice cmu_us_slt_arctic_hts) at duration stretch 0.9-1.25, replayed through the Silero VAD plugin`,
    "faster than real time, under four conditions. False cut-off: the agent would have declared the turn over in one of the caller's pauses.",
    "Delay: the caller's last word → the turn declared over (VAD end of speech, then the endpointing delay counted from the last speech, as agents-js 1.8.1 does; the final transcript the agent also waits for is left out).",
    'Detectors: `vad`, a fixed delay; `eot`, the offline audio end-of-turn model (turn-detector-v1-mini, asked after 200 ms of silence on the last 1.2 s, as the framework does) choosing',
    'between the "done" delay and the "not done" one (probability below the threshold); `vad+policy` and `eot+policy`, the same with agent/session/endpointing-policy.ts,',
    'which waits the "unfinished word" delay after a digit, "um", "and", "the"… (here on the words spoken so far, as a perfect STT would have them).',
    '',
    '| | condition | setting | false cut-offs | delay p50 (ms) | delay p95 (ms) | missed |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const condition of CONDITIONS) {
    const mine = results.filter((r) => r.condition === condition);
    const before = mine.find((r) => sameSetting(r.setting, VAD_ONLY_BEFORE));
    if (before) out.push(row(before, 'before'));
    const now = mine.find((r) => sameSetting(r.setting, current));
    if (now) out.push(row(now, 'current'));
    for (const detector of ['vad', 'vad+policy', 'eot', 'eot+policy'] satisfies Detector[]) {
      const theirs = mine.filter((r) => r.setting.detector === detector);
      const chosen = choose(theirs);
      if (chosen) out.push(row(chosen, `quickest ≤ ${CHOICE_MAX_FALSE_CUT_OFFS * 100} %`));
      // A condition under which every setting misses turns (the VAD never hears the caller stop).
      else out.push(row([...theirs].sort((a, b) => a.missed - b.missed || a.falseCutOffs - b.falseCutOffs || (a.delay?.p50 ?? 0) - (b.delay?.p50 ?? 0))[0]!, 'fewest missed, then cut off'));
    }
  }
  out.push('', 'False cut-offs by kind of turn, before → current:', '', `| kind | ${CONDITIONS.join(' | ')} |`, `|---|${CONDITIONS.map(() => '---:').join('|')}|`);
  const cut = (which: 'before' | 'current', c: Condition, kind: TurnKind) => {
    const o = byKind[which][c]?.[kind] ?? [];
    return `${o.filter((x) => x.kind === 'cut-off').length}/${o.length}`;
  };
  for (const kind of [...new Set(turns.map((t) => t.kind))]) out.push(`| ${kind} | ${CONDITIONS.map((c) => `${cut('before', c, kind)} → ${cut('current', c, kind)}`).join(' | ')} |`);
  out.push(
    '',
    `Every setting swept (report.json has them all): vad thresholds ${ACTIVATION_THRESHOLDS.join(', ')}; min silence ${MIN_SILENCES_MS.join(', ')} ms; endpointing ${ENDPOINTING_DELAYS_MS.join(', ')} ms.`,
    `Policy and model: min silence ${MODEL_VAD_SETTINGS.map((v) => v.minSilenceDurationMs).join(', ')} ms; model thresholds ${MODEL_THRESHOLDS.join(', ')}; done ${COMPLETE_DELAYS_MS.join(', ')} ms; not done ${UNSURE_DELAYS_MS.join(', ')} ms; unfinished word ${UNFINISHED_DELAYS_MS.join(', ')} ms. Chart: trade-off.svg.`,
  );
  return out.join('\n');
}

runBenchmark('bench turn-taking', main);
