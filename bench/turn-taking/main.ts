import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import { loadConfig } from '../../agent/config/load.js';
import { renderTradeOff } from './chart.js';
import { CONDITIONS, type Condition, LineConditions } from './conditions.js';
import { type Turn, type TurnKind, synthesizeTurns } from './corpus.js';
import { endOfTurnDecisions, loadVad, type VadSegment, vadSegments } from './replay.js';
import { CHOICE_MAX_FALSE_CUT_OFFS, type SettingResult, type TurnOutcome, type TurnSetting, choose, falseCutOffRate, summarizeOutcomes, turnOutcome } from './score.js';

const USAGE = `usage: npm run bench -- turn-taking [--out DIR]
Replays ${'≥'}60 synthesized caller turns (thinking pauses, dictated digits, hesitations, short answers;
four flite voices at three rates) under four line conditions (clean, babble and music at 10 dB SNR,
phone band) through the Silero VAD plugin, sweeping its activation threshold and minimum silence and
the endpointing delay after it, and writes report.md, report.json and trade-off.svg.`;

const ACTIVATION_THRESHOLDS = [0.3, 0.5, 0.7];
const MIN_SILENCES_MS = [150, 300, 550];
const ENDPOINTING_DELAYS_MS = [0, 300, 500, 800, 1200, 1600];

/** The agent's own setting today, from its configuration's defaults. */
function currentSetting(): TurnSetting {
  const { turn } = loadConfig({ LIVEKIT_URL: 'ws://unused', LIVEKIT_API_KEY: 'unused', LIVEKIT_API_SECRET: 'unused' });
  return { activationThreshold: 0.5, minSilenceDurationMs: turn.vadMinSilenceMs, endpointingDelayMs: turn.minEndpointingDelayMs };
}

const sameSetting = (a: TurnSetting, b: TurnSetting) =>
  a.activationThreshold === b.activationThreshold && a.minSilenceDurationMs === b.minSilenceDurationMs && a.endpointingDelayMs === b.endpointingDelayMs;
const describe = (s: TurnSetting) => `threshold ${s.activationThreshold}, min silence ${s.minSilenceDurationMs} ms, endpointing ${s.endpointingDelayMs} ms`;
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
  /** Per condition, how each kind of turn fared with the current setting. */
  const byKind: Record<string, Record<TurnKind, TurnOutcome[]>> = {};
  const current = currentSetting();
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
          const setting = { activationThreshold, minSilenceDurationMs, endpointingDelayMs };
          const outcomes = turns.map((turn, i) => turnOutcome(turn, endOfTurnDecisions(segments[i]!, endpointingDelayMs)));
          results.push(summarizeOutcomes(condition, setting, outcomes));
          if (sameSetting(setting, current)) byKind[condition] = groupByKind(turns, outcomes);
        }
        console.log(`  threshold ${activationThreshold}, min silence ${minSilenceDurationMs} ms, ${condition}: ${Math.round(performance.now() - started)} ms`);
      }
    }
  }

  const markdown = renderReport(turns, results, current, byKind);
  writeFileSync(join(values.out, 'report.md'), markdown);
  writeFileSync(join(values.out, 'report.json'), JSON.stringify({ turns: turns.map(({ pcm: _pcm, ...t }) => t), current, results }, null, 2));
  writeFileSync(join(values.out, 'trade-off.svg'), renderTradeOff('Turn-taking: false cut-offs vs end-of-turn delay', 'Silero VAD + fixed endpointing delay', results, (r) => sameSetting(r.setting, current)));
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

function renderReport(turns: Turn[], results: SettingResult[], current: TurnSetting, byKind: Record<string, Record<TurnKind, TurnOutcome[]>>): string {
  const row = (r: SettingResult, label: string) => `| ${label} | ${r.condition} | ${describe(r.setting)} | ${pct(r)} | ${ms(r.delay?.p50)} | ${ms(r.delay?.p95)} | ${r.missed} |`;
  const out = [
    '# Turn-taking benchmark (offline replay)',
    '',
    `${turns.length} caller turns, synthesized with flite (voices slt, awb, rms, kal16 at duration stretch 0.9-1.25), replayed through the Silero VAD plugin`,
    "faster than real time, under four conditions. False cut-off: the agent would have declared the turn over in one of the caller's pauses.",
    "Delay: the caller's last word → the turn declared over (VAD end of speech, then the endpointing delay counted from the last speech, as agents-js 1.8.1 does; the final transcript the agent also waits for is left out).",
    '',
    '| | condition | setting | false cut-offs | delay p50 (ms) | delay p95 (ms) | missed |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const condition of CONDITIONS) {
    const mine = results.filter((r) => r.condition === condition);
    const now = mine.find((r) => sameSetting(r.setting, current));
    if (now) out.push(row(now, 'current'));
    const chosen = choose(mine);
    if (chosen) out.push(row(chosen, `chosen (≤ ${CHOICE_MAX_FALSE_CUT_OFFS * 100} %)`));
    const fastest = [...mine].filter((r) => r.delay && r.missed === 0).sort((a, b) => a.delay!.p50 - b.delay!.p50)[0];
    if (fastest) out.push(row(fastest, 'quickest'));
    // A condition under which every setting misses turns (the VAD never hears the caller stop).
    if (!fastest) out.push(row([...mine].sort((a, b) => a.missed - b.missed || a.falseCutOffs - b.falseCutOffs)[0]!, 'fewest missed'));
  }
  out.push('', 'With the current setting, false cut-offs by kind of turn:', '', `| kind | ${CONDITIONS.join(' | ')} |`, `|---|${CONDITIONS.map(() => '---:').join('|')}|`);
  const kinds = [...new Set(turns.map((t) => t.kind))];
  for (const kind of kinds) {
    out.push(`| ${kind} | ${CONDITIONS.map((c) => { const o = byKind[c]?.[kind] ?? []; return `${o.filter((x) => x.kind === 'cut-off').length}/${o.length}`; }).join(' | ')} |`);
  }
  out.push('', 'Every setting swept (report.json has them all): thresholds ' + ACTIVATION_THRESHOLDS.join(', ') + '; min silence ' + MIN_SILENCES_MS.join(', ') + ' ms; endpointing ' + ENDPOINTING_DELAYS_MS.join(', ') + ' ms. Chart: trade-off.svg.');
  return out.join('\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench turn-taking: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
