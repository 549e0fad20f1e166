import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import { loadConfig } from '../../agent/config/load.js';
import { type TurnEndStages, type TurnEndWeights, turnEndFeatures } from '../../agent/session/turn-taking/turn-end-model.js';
import { DEFAULT_SPEECH_LEVEL_GATE } from '../../plugins/speech-level-gate/index.js';
import { endOfTurnPrompt, installedModelPath } from '../../plugins/text-end-of-turn/index.js';
import { runBenchmark, writeReport } from '../shared/bench-main.js';
import { frontier, renderTradeOff } from './chart.js';
import { collectAll, type Pipeline, type TurnReplay } from './collect.js';
import { CONDITIONS, type Condition, LineConditions } from './conditions.js';
import { SPLITS, type Split, synthesizeTurns, TURN_KINDS, type Turn } from './corpus.js';
import { type CombinedSetting, combined, type ModelAndPolicySetting, modelAndPolicy, type TriggerSample } from './detectors.js';
import { auc, fitLogistic } from './fit.js';
import { type Detector, frameworkDecisions } from './framework-replay.js';
import { type OutcomeSummary, showRate, summarize, type TurnOutcome, turnOutcome } from './score.js';
import { AudioEndOfTurnScores, TextEndOfTurnScores } from './signals.js';
import { SttReplay } from './stt-replay.js';
import { loadVad } from './vad-replay.js';

const USAGE = `usage: npm run bench -- turn-taking [--out DIR] [--stt-delay MS]
Replays 400 caller turns (two splits of 200: dev, tuned on; held-out, reported) under four line
conditions (clean, babble and music at 10 dB SNR, phone line) through the agent's pipeline: Silero VAD
(behind the speech-level gate, or not), the local STT (pocketsphinx, committed by the VAD or the
provider), the audio end-of-turn model and the text one; then decides each turn as agents-js does, with
the agent's old detector and the new combined one, whose weights are fitted and whose stages are swept
on dev only. Writes report.md and report.json. Models' answers and transcripts are cached in .run/cache.`;

const CACHE = '.run/cache/turn-taking';
/** What the old and new agents ran. */
const BEFORE: Pipeline = { gate: false, commit: { kind: 'provider', silenceMs: 350 }, audioAskedAt: 'tick', text: false };
const AFTER: Pipeline = { gate: true, commit: { kind: 'agent' }, audioAskedAt: 'end', text: true };

/** The stages swept on dev. */
const DONE_ABOVE = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const UNSURE_ABOVE = [0.02, 0.05, 0.1, 0.2, 0.3];
const DONE_DELAYS_MS = [0, 100, 200, 300];
const UNSURE_DELAYS_MS = [500, 700, 900, 1200];
const NOT_DONE_DELAYS_MS = [1200, 1500, 2000, 2500];
/**
 * The slowest a setting may answer a finished caller on dev when the targets cannot all be met: the
 * voice-to-voice target's p50 (700 ms) and the old detector's p95 (its 1.2 s "not done" delay and the model's time).
 */
const FALLBACK_DELAY_MS = { p50: 700, p95: 1300 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join('.run/bench', `turn-taking-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
      'stt-delay': { type: 'string', default: '0' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(USAGE);
  initializeLogger({ pretty: false, level: 'error' }); // the VAD warns when it runs faster than real time on purpose
  mkdirSync(values.out, { recursive: true });
  const sttDelayMs = Number(values['stt-delay']);

  const turns = await synthesizeTurns(join(CACHE, 'speech'));
  const lines = await LineConditions.create();
  const cfg = loadConfig({ LIVEKIT_URL: 'ws://unused', LIVEKIT_API_KEY: 'unused', LIVEKIT_API_SECRET: 'unused' });
  const engines = {
    vad: await loadVad({ activationThreshold: cfg.turn.vadActivationThreshold, minSilenceDurationMs: cfg.turn.vadMinSilenceMs }),
    stt: await SttReplay.start(join(CACHE, 'stt')),
    audio: AudioEndOfTurnScores.load(join(CACHE, 'audio-eot')),
    text: await TextEndOfTurnScores.load(
      installedModelPath(),
      join(CACHE, 'text-eot'),
      turns.slice(0, 40).map((t) => ({ context: t.context, words: t.text.replace(/\|/g, ' ') })),
    ),
  };
  console.log(`text model: ${engines.text.timing.fixedMs.toFixed(1)} ms + ${engines.text.timing.perTokenMs.toFixed(1)} ms a token`);
  const replays: Record<'before' | 'after', TurnReplay[]> = { before: [], after: [] };
  try {
    const signature = {
      vad: { activation: cfg.turn.vadActivationThreshold, minSilenceMs: cfg.turn.vadMinSilenceMs },
      gate: DEFAULT_SPEECH_LEVEL_GATE,
      recognizer: engines.stt.recognizer,
      textModel: 'smollm2-135m-q4_1',
    };
    const store = { cacheDir: join(CACHE, 'replays'), signature, sttDelayMs, parallel: 3 };
    const heard = (turn: Turn, condition: Condition) => lines.apply(turn, condition);
    console.log('before:');
    replays.before = await collectAll(turns, CONDITIONS, heard, BEFORE, engines, store);
    console.log('after:');
    // The text model's scores are the prompt's: another prompt is another replay.
    replays.after = await collectAll(turns, CONDITIONS, heard, AFTER, engines, {
      ...store,
      signature: { ...signature, textPrompt: endOfTurnPrompt(undefined, '') },
    });
  } finally {
    await engines.stt.close();
    await engines.text.close();
  }

  const select = (r: TurnReplay[], split: Split, condition?: Condition) =>
    r.filter((x) => x.turn.split === split && (condition === undefined || x.condition === condition));
  const outcomes = (rs: TurnReplay[], detector: (r: TurnReplay) => Detector): TurnOutcome[] =>
    rs.map((r) => turnOutcome(r.turn, frameworkDecisions(r.vad, r.stt, detector(r))));

  // The old detector, as the configuration's defaults set it before this round.
  const policy = { completeDelayMs: 200, unsureDelayMs: 1200, unfinishedDelayMs: 1200, phoneExtraDelayMs: 0, transcriptWaitMs: 4000 };
  const before = (r: TurnReplay) =>
    modelAndPolicy(r, { modelThreshold: 0.2, policy, phoneLine: r.condition === 'phone' } satisfies ModelAndPolicySetting);

  // Fit the combination on dev's decision points.
  const samples = (rs: TurnReplay[]) => rs.flatMap((r) => triggerSamples(r));
  const devSamples = samples(select(replays.after, 'dev'));
  const featureRows = (s: TriggerSample[]) => s.map((x) => Object.values(features(x)));
  const w = fitLogistic(
    featureRows(devSamples),
    devSamples.map((s) => (s.done ? 1 : 0)),
  );
  const weights: TurnEndWeights = { intercept: w[0]!, sentenceEnd: w[1]!, unfinishedWord: w[2]! };
  console.log('weights', weights);
  for (const split of SPLITS) {
    for (const condition of CONDITIONS) {
      const s = samples(select(replays.after, split, condition));
      const y = s.map((x) => (x.done ? 1 : 0));
      const f = s.map((x) => features(x));
      const z = f.map((x) => weights.intercept + weights.sentenceEnd * x.sentenceEnd + weights.unfinishedWord * x.unfinishedWord);
      const endOfMessage = s.map((x) => x.replay.text.get(x.trigger.transcript)!.endOfMessage);
      // The audio model alone, for comparison, at the points where it was asked.
      const heard = s.flatMap((x, i) =>
        x.replay.audio[x.trigger.segment] ? [{ p: x.replay.audio[x.trigger.segment]!.probability, y: y[i]! }] : [],
      );
      console.log(
        `${split} ${condition}: ${s.length} points (${y.filter(Boolean).length} done); AUC combined ${auc(z, y).toFixed(3)}, end of message ${auc(endOfMessage, y).toFixed(3)}, sentence end ${auc(
          f.map((x) => x.sentenceEnd),
          y,
        ).toFixed(3)}, rule ${auc(
          f.map((x) => -x.unfinishedWord),
          y,
        ).toFixed(3)}; audio model ${auc(
          heard.map((h) => h.p),
          heard.map((h) => h.y),
        ).toFixed(3)} on ${heard.length}`,
      );
    }
  }

  // Sweep the stages on dev.
  const sweep: { stages: TurnEndStages; dev: Record<Condition, OutcomeSummary> }[] = [];
  for (const doneAbove of DONE_ABOVE)
    for (const unsureAbove of UNSURE_ABOVE.filter((u) => u < doneAbove))
      for (const doneDelayMs of DONE_DELAYS_MS)
        for (const unsureDelayMs of UNSURE_DELAYS_MS)
          for (const notDoneDelayMs of NOT_DONE_DELAYS_MS.filter((n) => n >= unsureDelayMs)) {
            const stages = { doneAbove, unsureAbove, doneDelayMs, unsureDelayMs, notDoneDelayMs };
            const setting: CombinedSetting = { weights, stages, transcriptWaitMs: cfg.turn.transcriptWaitMs };
            const dev = Object.fromEntries(
              CONDITIONS.map((c) => [c, summarize(outcomes(select(replays.after, 'dev', c), (r) => combined(r, setting)))]),
            ) as Record<Condition, OutcomeSummary>;
            sweep.push({ stages, dev });
          }
  const cutRate = (s: OutcomeSummary) => s.cutOffs.count / s.turns;
  const endedRate = (s: OutcomeSummary) => s.ended.count / s.turns;
  const delayCost = (x: (typeof sweep)[number]) => x.dev.clean.delay!.p50 + x.dev.clean.delay!.p95;
  const noisyEnded = (x: (typeof sweep)[number]) => endedRate(x.dev.babble) >= 0.95 && endedRate(x.dev.music) >= 0.95;
  const withinTargets = sweep.filter(
    (x) =>
      x.dev.clean.delay &&
      cutRate(x.dev.clean) <= 0.05 &&
      x.dev.clean.delay.p50 <= 300 &&
      x.dev.clean.delay.p95 <= 700 &&
      cutRate(x.dev.phone) <= cutRate(x.dev.clean) + 0.02 &&
      noisyEnded(x) &&
      cutRate(x.dev.babble) <= 0.1 &&
      cutRate(x.dev.music) <= 0.1,
  );
  // When the issue's targets cannot all be met on dev: the fewest clean and phone cut-offs among the
  // settings that answer a finished caller no later than FALLBACK_DELAY_MS says.
  const fallback = sweep.filter(
    (x) => x.dev.clean.delay && x.dev.clean.delay.p50 <= FALLBACK_DELAY_MS.p50 && x.dev.clean.delay.p95 <= FALLBACK_DELAY_MS.p95,
  );
  const cuts = (x: (typeof sweep)[number]) => cutRate(x.dev.clean) + cutRate(x.dev.phone);
  const ranked = withinTargets.length
    ? withinTargets.sort((a, b) => delayCost(a) - delayCost(b))
    : fallback.sort((a, b) => cuts(a) - cuts(b) || delayCost(a) - delayCost(b));
  console.log(
    `${sweep.length} stage settings swept, ${withinTargets.length} within the targets on dev${withinTargets.length ? '' : `; chosen among the ${fallback.length} with a clean delay p50 ≤ ${FALLBACK_DELAY_MS.p50} ms and p95 ≤ ${FALLBACK_DELAY_MS.p95} ms`}`,
  );
  const show = (x: (typeof sweep)[number]) =>
    `${JSON.stringify(x.stages)} ${CONDITIONS.map((c) => `${c} ${showRate(x.dev[c].cutOffs)} ${x.dev[c].delay?.p50.toFixed(0)}/${x.dev[c].delay?.p95.toFixed(0)} ended ${showRate(x.dev[c].ended)}`).join(' | ')}`;
  for (const x of ranked.slice(0, 5)) console.log(show(x));
  const chosen = ranked[0]?.stages;
  const tradeOff = sweep.flatMap((x) =>
    CONDITIONS.flatMap((condition) =>
      x.dev[condition].delay
        ? [
            {
              condition,
              cutOffRate: cutRate(x.dev[condition]),
              p50Ms: x.dev[condition].delay!.p50,
              p95Ms: x.dev[condition].delay!.p95,
              stages: x.stages,
            },
          ]
        : [],
    ),
  );
  console.log('dev clean frontier (cut-offs vs p50):');
  for (const p of frontier(tradeOff.filter((p) => p.condition === 'clean')))
    console.log(`  ${(p.cutOffRate * 100).toFixed(1)} % at ${p.p50Ms.toFixed(0)}/${p.p95Ms.toFixed(0)} ms ${JSON.stringify(p.stages)}`);

  const rows: string[] = [
    '| split | condition | detector | false cut-offs (95 % CI) | delay p50 / p95 (ms) | ended |',
    '|---|---|---|---|---|---|',
  ];
  const report: Record<string, unknown> = { weights, chosen };
  for (const split of SPLITS) {
    for (const condition of CONDITIONS) {
      const b = summarize(outcomes(select(replays.before, split, condition), before));
      rows.push(
        `| ${split} | ${condition} | before | ${showRate(b.cutOffs)} | ${b.delay?.p50.toFixed(0)} / ${b.delay?.p95.toFixed(0)} | ${showRate(b.ended)} |`,
      );
      report[`${split}/${condition}/before`] = b;
      // The old detector behind this round's gate and commit: what the pipeline alone changes.
      const g = summarize(outcomes(select(replays.after, split, condition), before));
      rows.push(
        `| ${split} | ${condition} | before, new pipeline | ${showRate(g.cutOffs)} | ${g.delay?.p50.toFixed(0)} / ${g.delay?.p95.toFixed(0)} | ${showRate(g.ended)} |`,
      );
      report[`${split}/${condition}/before-new-pipeline`] = g;
      if (chosen) {
        const a = summarize(
          outcomes(select(replays.after, split, condition), (r) =>
            combined(r, { weights, stages: chosen, transcriptWaitMs: cfg.turn.transcriptWaitMs }),
          ),
        );
        rows.push(
          `| ${split} | ${condition} | combined | ${showRate(a.cutOffs)} | ${a.delay?.p50.toFixed(0)} / ${a.delay?.p95.toFixed(0)} | ${showRate(a.ended)} |`,
        );
        report[`${split}/${condition}/combined`] = a;
      }
    }
  }
  for (const kind of TURN_KINDS) {
    const k = (rs: TurnReplay[]) => rs.filter((r) => r.turn.kind === kind);
    const b = summarize(outcomes(k(select(replays.before, 'held-out', 'clean')), before));
    const a = chosen
      ? summarize(
          outcomes(k(select(replays.after, 'held-out', 'clean')), (r) =>
            combined(r, { weights, stages: chosen, transcriptWaitMs: cfg.turn.transcriptWaitMs }),
          ),
        )
      : undefined;
    rows.push(
      `| held-out | clean ${kind} | before → combined | ${showRate(b.cutOffs)} → ${a ? showRate(a.cutOffs) : '–'} | ${b.delay?.p50.toFixed(0)}/${b.delay?.p95.toFixed(0)} → ${a?.delay?.p50.toFixed(0)}/${a?.delay?.p95.toFixed(0)} | |`,
    );
  }
  const point = (s: OutcomeSummary, condition: Condition) => (s.delay ? [{ condition, cutOffRate: cutRate(s), p50Ms: s.delay.p50 }] : []);
  const chart = renderTradeOff(
    'Turn-taking, development split: false cut-offs against delay',
    tradeOff,
    chosen ? CONDITIONS.flatMap((c) => point(report[`dev/${c}/combined`] as OutcomeSummary, c)) : [],
    CONDITIONS.flatMap((c) => point(report[`dev/${c}/before`] as OutcomeSummary, c)),
  );
  writeFileSync(join(values.out, 'trade-off.svg'), chart);
  writeFileSync(join(values.out, 'sweep.json'), JSON.stringify(sweep));
  writeReport(values.out, report, ['# Turn-taking benchmark', '', ...rows, '', '![trade-off](trade-off.svg)'].join('\n'));
}

/** Every point at which the framework would ask the detector, had it never declared a turn over; labelled with whether the caller was done. */
function triggerSamples(replay: TurnReplay): TriggerSample[] {
  const out: TriggerSample[] = [];
  frameworkDecisions(replay.vad, replay.stt, (trigger) => {
    if (!trigger.owed && replay.text.has(trigger.transcript)) out.push({ replay, trigger, done: callerDone(replay, trigger.segment) });
    return { delayMs: Number.POSITIVE_INFINITY, latencyMs: 0 };
  });
  return out;
}

/**
 * Whether the caller had finished when VAD segment `k` ended: it is the last segment that starts
 * before their last word ends (one the VAD ended a little early, on a trailing consonant, counts;
 * one that split their last piece does not, nor one the room started after they finished).
 */
function callerDone(replay: TurnReplay, k: number): boolean {
  const starts = replay.vad.map((s) => s.start);
  return starts[k]! < replay.turn.endMs && !starts.slice(k + 1).some((s) => s < replay.turn.endMs);
}

/** The features in the order of TurnEndWeights after its intercept. */
function features(s: TriggerSample): Record<'sentenceEnd' | 'unfinishedWord', number> {
  const f = turnEndFeatures({ words: s.trigger.transcript, text: s.replay.text.get(s.trigger.transcript)! });
  return { sentenceEnd: f.sentenceEnd!, unfinishedWord: f.unfinishedWord! };
}

runBenchmark('bench turn-taking', main);
