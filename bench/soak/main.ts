import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../../agent/metrics/turn-latency-tracer.js';
import { type CallCost, WORKER_LOG } from '../../contracts/worker-log.js';
import { LATENCY_PROFILE_NAMES } from '../../harness/local-providers/index.js';
import { requireNamespaceNodeIp } from '../../harness/netns/node-ip.js';
import { LocalStack, type StackWorker } from '../../harness/stack/local-stack.js';
import { waitFor } from '../../harness/stack/wait.js';
import type { LogEntry } from '../../harness/stack/worker-log.js';
import { placeBenchCall } from '../shared/bench-call.js';
import { runBenchmark, writeReport } from '../shared/bench-main.js';
import { runCallerSession } from '../shared/caller-session.js';
import { CORPUS, type CorpusUtterance, synthesizeCorpus } from '../shared/corpus.js';
import { readTree, type TreeFigures, type TreeProcess, treeFigures } from './process-tree.js';

/** The local providers' default profile: the soak looks for leaks, not at latency. */
const PROFILE = LATENCY_PROFILE_NAMES[0];
const AGENT_NAME = 'bench-soak';
/** Not the latency benchmark's health ports (18301, 18302). */
const HTTP_PORT = 18303;
/** Caller i starts i × this after the first, so calls overlap at different phases instead of starting and ending together. */
const STAGGER_MS = 5_000;
/** After a lost call: a stack that refuses every call would otherwise be called in a tight loop. */
const LOST_BACKOFF_MS = 2_000;
/** Once the idle pool is up: its processes finish loading, so the start figures are those of a ready worker. */
const POOL_SETTLE_MS = 5_000;
/** After the last call: job processes exit and the idle pool refills before the final count. */
const FINAL_SETTLE_MS = 15_000;
/** Memory is flat when it grows by less than this share of its mean per hour, or this many MB per hour, whichever is larger. */
const FLAT_SHARE_PER_HOUR = 0.05;
const FLAT_MB_PER_HOUR = 20;
/** Growth counts only when the fitted line explains this much of the variation. */
const MIN_GROWTH_R2 = 0.3;
/** Memory is judged over at least this much of a run after its warm-up (the default 30 min run fits 22.5). */
const MIN_FITTED_MINUTES = 10;

const USAGE = `usage: npm run bench -- soak [options]
  --duration D   how long calls are placed: 90s, 30m, 2h; a bare number is seconds (default 30m)
  --callers N    callers calling back to back at the same time, ${STAGGER_MS / 1000} s apart at the start (default 3)
  --turns N      questions per call after the greeting, taken from the corpus in turn (default 2)
  --sample-s S   seconds between samples of the worker's process tree (default 10)
  --out DIR      report directory (default .run/bench/soak-<time>)

Runs livekit-server, the local providers (latency profile ${PROFILE}) and our worker, and keeps N
simulated callers calling it for the whole duration. Samples the worker's process tree (memory, open
file descriptors, processes) and collects each call's event-loop delay, fits their trends from the
second quarter on, and counts processes left behind and calls lost. Writes report.md, report.json and
samples.csv.`;

interface Options {
  durationS: number;
  callers: number;
  turns: number;
  sampleS: number;
  out: string;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '30m' },
      callers: { type: 'string', default: '3' },
      turns: { type: 'string', default: '2' },
      'sample-s': { type: 'string', default: '10' },
      out: { type: 'string', default: join('.run/bench', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const positive = (flag: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer, got '${raw}'`);
    return n;
  };
  const match = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(values.duration.trim());
  const durationS = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600 }[match[2] as '' | 's' | 'm' | 'h'] : 0;
  if (!(durationS > 0)) throw new Error(`--duration: expected e.g. 90s, 30m or 2h, got '${values.duration}'`);
  return {
    durationS,
    callers: positive('callers', values.callers),
    turns: Math.min(positive('turns', values.turns), CORPUS.length),
    sampleS: positive('sample-s', values['sample-s']),
    out: values.out,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares line through the points: slope, intercept and R²; undefined below 3 points or with a single x. */
function linearFit(points: readonly (readonly [x: number, y: number])[]): { slope: number; intercept: number; r2: number } | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  // A constant series is fitted exactly by the flat line.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

// ---- sampling ----

type Phase = 'start' | 'run' | 'end';
interface Sample extends TreeFigures {
  /** Seconds since the calls began. */
  tS: number;
  phase: Phase;
  callsInFlight: number;
}

const CSV_COLUMNS = [
  'tS',
  'phase',
  'callsInFlight',
  'processes',
  'jobs',
  'workerRssMb',
  'workerPssMb',
  'jobPssSumMb',
  'jobPssMaxMb',
  'jobRssSumMb',
  'treePssMb',
  'fds',
] as const satisfies readonly (keyof Sample)[];

/** Samples of the worker's tree, kept in memory and appended to the CSV as they are taken, so an interrupted run still leaves them. */
class TreeSampler {
  readonly samples: Sample[] = [];

  constructor(
    private readonly rootPid: number,
    private readonly csvPath: string,
    private readonly t0: number,
  ) {
    writeFileSync(csvPath, `${CSV_COLUMNS.join(',')}\n`);
  }

  take(phase: Phase, callsInFlight: number): { sample: Sample; processes: TreeProcess[] } {
    const processes = readTree(this.rootPid);
    const sample: Sample = { tS: (Date.now() - this.t0) / 1000, phase, callsInFlight, ...treeFigures(processes, this.rootPid) };
    this.samples.push(sample);
    const cell = (v: Sample[keyof Sample]) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : (v ?? ''));
    appendFileSync(this.csvPath, `${CSV_COLUMNS.map((k) => cell(sample[k])).join(',')}\n`);
    return { sample, processes };
  }
}

// ---- calls ----

interface CallOutcome {
  caller: number;
  /** When it was placed, seconds since the calls began. */
  startS: number;
  seconds: number;
  /** Why it counts as lost (it threw, or a question went unanswered); absent when it completed. */
  lost?: string;
}

/** What the caller loops share: where to call, until when, and what happened. */
interface CallRun {
  stack: LocalStack;
  agentName: string;
  t0: number;
  /** Calls are placed until then; brought forward if the worker dies. */
  endAt: number;
  turns: number;
  nextUtterances: (n: number) => CorpusUtterance[];
  inFlight: number;
  outcomes: CallOutcome[];
}

/** The next `n` items each time, going round `items`: every call asks different questions. */
function rotation<T>(items: readonly T[]): (n: number) => T[] {
  let next = 0;
  return (n) => Array.from({ length: n }, () => items[next++ % items.length]!);
}

async function oneCall(caller: number, run: CallRun): Promise<CallOutcome> {
  const startedAt = Date.now();
  const utterances = run.nextUtterances(run.turns);
  let lost: string | undefined;
  run.inFlight++;
  try {
    const session = await placeBenchCall(run.stack, run.agentName);
    try {
      const { unanswered } = await runCallerSession(session, utterances);
      if (unanswered.length) lost = `${unanswered.length} of ${utterances.length} questions unanswered`;
    } finally {
      await session.hangUp();
    }
  } catch (e) {
    lost = (e as Error).message;
  } finally {
    run.inFlight--;
  }
  return { caller, startS: (startedAt - run.t0) / 1000, seconds: (Date.now() - startedAt) / 1000, lost };
}

/** One caller: calls back to back until the end; a lost call is logged and the next one placed. */
async function callerLoop(caller: number, run: CallRun): Promise<void> {
  await sleep(caller * STAGGER_MS);
  while (Date.now() < run.endAt) {
    const outcome = await oneCall(caller, run);
    run.outcomes.push(outcome);
    if (outcome.lost) {
      console.log(`  lost call: caller ${caller}, placed at t=${minutes(outcome.startS)} min: ${outcome.lost}`);
      await sleep(LOST_BACKOFF_MS);
    }
  }
}

// ---- analysis ----

interface Trend {
  metric: string;
  unit: 'MB' | 'count';
  /** First and last value, mean and fitted slope over the fitted samples. */
  first?: number;
  last?: number;
  mean?: number;
  slopePerHour?: number;
  r2?: number;
  /** For memory: the slope below which it counts as flat. */
  flatBelowPerHour?: number;
  /** The idle worker before the first call and after the last. */
  atStart?: number;
  atEnd?: number;
}

const TRENDS: { metric: string; unit: Trend['unit']; memory: boolean; pick: (s: TreeFigures) => number | undefined }[] = [
  { metric: 'worker PSS', unit: 'MB', memory: true, pick: (s) => s.workerPssMb },
  { metric: 'job process PSS, largest', unit: 'MB', memory: true, pick: (s) => s.jobPssMaxMb },
  { metric: 'tree PSS', unit: 'MB', memory: true, pick: (s) => s.treePssMb },
  { metric: 'open fds', unit: 'count', memory: false, pick: (s) => s.fds },
  { metric: 'processes', unit: 'count', memory: false, pick: (s) => s.processes },
];

function trend(def: (typeof TRENDS)[number], fitted: readonly Sample[], start: Sample, end: Sample): Trend {
  const points = fitted.flatMap((s) => {
    const y = def.pick(s);
    return y === undefined ? [] : [[s.tS / 3600, y] as const];
  });
  const fit = linearFit(points);
  const mean = points.length ? points.reduce((sum, [, y]) => sum + y, 0) / points.length : undefined;
  return {
    metric: def.metric,
    unit: def.unit,
    first: points[0]?.[1],
    last: points.at(-1)?.[1],
    mean,
    slopePerHour: fit?.slope,
    r2: fit?.r2,
    flatBelowPerHour: def.memory && mean !== undefined ? Math.max(FLAT_SHARE_PER_HOUR * mean, FLAT_MB_PER_HOUR) : undefined,
    atStart: def.pick(start),
    atEnd: def.pick(end),
  };
}

interface EventLoopSummary {
  /** Calls that logged their cost. */
  calls: number;
  p99MedianMs?: number;
  p99WorstMs?: number;
  maxWorstMs?: number;
  /** Median p99 of the calls that ended in the first and in the last quarter: a loop delay that grows is a leak too. */
  firstQuarterP99MedianMs?: number;
  lastQuarterP99MedianMs?: number;
}

function eventLoop(lines: readonly LogEntry[], t0: number, durationS: number): EventLoopSummary {
  const calls = lines.map((l) => ({
    endS: typeof l.time === 'number' ? (l.time - t0) / 1000 : Number.NaN,
    delay: (l as unknown as CallCost).eventLoopDelayMs,
  }));
  const median = (xs: number[]) => (xs.length ? percentile(xs, 50) : undefined);
  const worst = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);
  const p99s = (cs: typeof calls) => cs.map((c) => c.delay.p99);
  return {
    calls: calls.length,
    p99MedianMs: median(p99s(calls)),
    p99WorstMs: worst(p99s(calls)),
    maxWorstMs: worst(calls.map((c) => c.delay.max)),
    firstQuarterP99MedianMs: median(p99s(calls.filter((c) => c.endS < durationS / 4))),
    lastQuarterP99MedianMs: median(p99s(calls.filter((c) => c.endS >= (durationS * 3) / 4))),
  };
}

interface ProcessCount {
  atStart: number;
  atEnd: number;
  leaked: number;
  /** The oldest processes that appeared since the start, as many as leaked: the idle pool's replacements are new too, but the youngest. */
  suspects: { pid: number; ageS: number; cmdline: string }[];
}

function processCount(start: readonly TreeProcess[], end: readonly TreeProcess[]): ProcessCount {
  const leaked = Math.max(0, end.length - start.length);
  const before = new Set(start.map((p) => p.pid));
  const suspects = end
    .filter((p) => !before.has(p.pid))
    .sort((a, b) => b.ageS - a.ageS)
    .slice(0, leaked)
    .map(({ pid, ageS, cmdline }) => ({ pid, ageS, cmdline }));
  return { atStart: start.length, atEnd: end.length, leaked, suspects };
}

interface Verdict {
  target: 'flat memory' | 'no leaked process' | 'no call lost';
  /** Undefined when there was too little to judge. */
  pass?: boolean;
  detail: string;
}

function verdicts(trends: readonly Trend[], processes: ProcessCount, completed: number, lost: number, fittedMinutes: number): Verdict[] {
  const memory = trends.filter((t) => t.flatBelowPerHour !== undefined);
  const unfitted = memory.length < TRENDS.filter((d) => d.memory).length || memory.some((t) => t.slopePerHour === undefined);
  // A slope that the line does not explain (calls starting and ending move memory by 100s of MB) is noise, not growth.
  const growing = memory.filter((t) => t.slopePerHour! >= t.flatBelowPerHour! && t.r2! >= MIN_GROWTH_R2);
  const rule = `slope below ${FLAT_SHARE_PER_HOUR * 100} % of the mean or ${FLAT_MB_PER_HOUR} MB per hour, whichever is larger, or a fit with R² below ${MIN_GROWTH_R2}`;
  return [
    unfitted || fittedMinutes < MIN_FITTED_MINUTES
      ? { target: 'flat memory', detail: `too short to judge: ${fmt(fittedMinutes)} min fitted, at least ${MIN_FITTED_MINUTES} needed` }
      : {
          target: 'flat memory',
          pass: growing.length === 0,
          detail: growing.length
            ? growing.map((t) => `${t.metric} grows ${fmt(t.slopePerHour)} MB/h (flat below ${fmt(t.flatBelowPerHour)})`).join('; ')
            : `every memory figure's ${rule}`,
        },
    {
      target: 'no leaked process',
      pass: processes.leaked === 0,
      detail: `${processes.atStart} processes at the start, ${processes.atEnd} at the end`,
    },
    {
      target: 'no call lost',
      pass: lost === 0 && completed > 0,
      detail: `${completed} completed, ${lost} lost`,
    },
  ];
}

// ---- report ----

interface SoakReport {
  startedAt: string;
  machine: { cpus: number; memoryGb: number };
  options: Omit<Options, 'out'> & { profile: string };
  /** From the first call placed to the end of the last. */
  placedForS: number;
  workerExit?: string;
  calls: { completed: number; lost: number; meanSeconds?: number; lostCalls: CallOutcome[] };
  samples: number;
  /** Trends are fitted on the samples from then on (seconds since the calls began). */
  fitFromS: number;
  trends: Trend[];
  eventLoop: EventLoopSummary;
  processes: ProcessCount;
  verdicts: Verdict[];
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}

function minutes(s: number): string {
  return (s / 60).toFixed(1);
}

function renderMarkdown(r: SoakReport): string {
  const o = r.options;
  const digits = (t: Trend) => (t.unit === 'MB' ? 1 : 0);
  const el = r.eventLoop;
  const shownLost = r.calls.lostCalls.slice(0, 20);
  return [
    `# Soak: our agent, ${minutes(o.durationS)} min, ${o.callers} callers × ${o.turns} questions a call`,
    '',
    `${r.machine.cpus} CPUs, ${r.machine.memoryGb} GB; the local providers' latency profile \`${o.profile}\`; started ${r.startedAt}.`,
    '',
    `- Calls: ${r.calls.completed} completed, ${r.calls.lost} lost, ${fmt(r.calls.meanSeconds)} s each on average, placed for ${minutes(r.placedForS)} min` +
      (r.workerExit ? `; **${r.workerExit}**` : ''),
    `- Samples: ${r.samples}, every ${o.sampleS} s (samples.csv); trends fitted on those from t = ${minutes(r.fitFromS)} min on (the first quarter is warm-up)`,
    '',
    '| from the 2nd quarter on | first | last | slope / h | R² | flat below / h | idle at start | idle at end |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
    ...r.trends.map(
      (t) =>
        `| ${t.metric} (${t.unit}) | ${fmt(t.first, digits(t))} | ${fmt(t.last, digits(t))} | ${fmt(t.slopePerHour)} | ${fmt(t.r2, 2)} | ` +
        `${fmt(t.flatBelowPerHour)} | ${fmt(t.atStart, digits(t))} | ${fmt(t.atEnd, digits(t))} |`,
    ),
    '',
    `Event-loop delay of the job processes (${el.calls} \`${WORKER_LOG.callCost}\` lines): p99 median ${fmt(el.p99MedianMs)} ms, worst ${fmt(el.p99WorstMs)} ms; ` +
      `max worst ${fmt(el.maxWorstMs)} ms; median p99 of the first quarter ${fmt(el.firstQuarterP99MedianMs)} ms, of the last ${fmt(el.lastQuarterP99MedianMs)} ms.`,
    '',
    `Processes: ${r.processes.atStart} at the start, ${r.processes.atEnd} at the end, ${FINAL_SETTLE_MS / 1000} s after the last call.` +
      (r.processes.leaked ? ` Leaked: ${r.processes.leaked}; the oldest that appeared since the start:` : ''),
    ...r.processes.suspects.map((p) => `- pid ${p.pid}, ${minutes(p.ageS)} min old: \`${p.cmdline}\``),
    ...(shownLost.length ? ['', `Lost calls${r.calls.lostCalls.length > shownLost.length ? ` (first ${shownLost.length})` : ''}:`] : []),
    ...shownLost.map((c) => `- caller ${c.caller}, placed at t = ${minutes(c.startS)} min: ${c.lost}`),
    '',
    '## Verdicts',
    '',
    ...r.verdicts.map((v) => `- ${v.target}: **${v.pass === undefined ? 'n/a' : v.pass ? 'PASS' : 'FAIL'}** (${v.detail})`),
  ].join('\n');
}

// ---- the run ----

async function soak(stack: LocalStack, worker: StackWorker, corpus: CorpusUtterance[], opts: Options): Promise<SoakReport> {
  const startedAt = new Date().toISOString();
  // The start count must include the idle pool the worker warms up, or its processes would look leaked at the end.
  await waitFor(() => treeFigures(readTree(worker.pid), worker.pid).jobs >= opts.callers, {
    timeoutMs: 60_000,
    intervalMs: 1000,
    what: `the worker's ${opts.callers} idle job processes`,
  });
  await sleep(POOL_SETTLE_MS);

  const t0 = Date.now();
  const sampler = new TreeSampler(worker.pid, join(opts.out, 'samples.csv'), t0);
  const start = sampler.take('start', 0);
  const run: CallRun = {
    stack,
    agentName: worker.agentName,
    t0,
    endAt: t0 + opts.durationS * 1000,
    turns: opts.turns,
    nextUtterances: rotation(corpus),
    inFlight: 0,
    outcomes: [],
  };
  let workerExit: string | undefined;
  // A dead worker fails every call: stop placing them and say so, rather than count lost calls to the end.
  void worker.exited.then((code) => {
    workerExit ??= `the worker exited (code ${code}) at t = ${minutes((Date.now() - t0) / 1000)} min`;
    run.endAt = Math.min(run.endAt, Date.now());
  });
  console.log(
    `soak: ${opts.callers} callers for ${minutes(opts.durationS)} min; ${start.sample.processes} processes, tree PSS ${fmt(start.sample.treePssMb)} MB at the start`,
  );

  const progressEvery = Math.max(1, Math.round(60 / opts.sampleS));
  const timer = setInterval(() => {
    const { sample: s } = sampler.take('run', run.inFlight);
    if (sampler.samples.length % progressEvery !== 0) return;
    const lost = run.outcomes.filter((c) => c.lost).length;
    console.log(
      `  t=${minutes(s.tS)} min: ${run.outcomes.length - lost} calls, ${lost} lost, ${s.callsInFlight} in flight; ` +
        `${s.processes} processes, ${s.fds} fds, PSS worker ${fmt(s.workerPssMb)} MB, largest job ${fmt(s.jobPssMaxMb)} MB, tree ${fmt(s.treePssMb)} MB`,
    );
  }, opts.sampleS * 1000);
  try {
    await Promise.all(Array.from({ length: opts.callers }, (_, i) => callerLoop(i, run)));
  } finally {
    clearInterval(timer);
  }
  const placedForS = (Date.now() - t0) / 1000;
  await sleep(FINAL_SETTLE_MS);
  const end = sampler.take('end', 0);

  const fitFromS = opts.durationS / 4;
  const fitted = sampler.samples.filter((s) => s.phase === 'run' && s.tS >= fitFromS);
  const trends = TRENDS.map((d) => trend(d, fitted, start.sample, end.sample));
  const processes = processCount(start.processes, end.processes);
  const lostCalls = run.outcomes.filter((c) => c.lost);
  const completed = run.outcomes.length - lostCalls.length;
  const durations = run.outcomes.filter((c) => !c.lost).map((c) => c.seconds);
  return {
    startedAt,
    machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) },
    options: { durationS: opts.durationS, callers: opts.callers, turns: opts.turns, sampleS: opts.sampleS, profile: PROFILE },
    placedForS,
    workerExit,
    calls: {
      completed,
      lost: lostCalls.length,
      meanSeconds: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined,
      lostCalls,
    },
    samples: sampler.samples.length,
    fitFromS,
    trends,
    eventLoop: eventLoop(worker.log.messages(WORKER_LOG.callCost), t0, opts.durationS),
    processes,
    verdicts: verdicts(trends, processes, completed, lostCalls.length, fitted.length > 1 ? (fitted.at(-1)!.tS - fitted[0]!.tS) / 60 : 0),
  };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!opts) return console.log(USAGE);
  mkdirSync(opts.out, { recursive: true });
  const corpus = await synthesizeCorpus();
  const stack = await LocalStack.start({ logDir: join(opts.out, 'logs'), nodeIp: requireNamespaceNodeIp(), latency: PROFILE });
  let report: SoakReport;
  try {
    // Started directly rather than through withAgentUnderTest: its 10 Hz /proc sampler would load the
    // machine for the whole soak, and the soak samples the tree itself, per process.
    const worker = await stack.startWorker({
      agentName: AGENT_NAME,
      httpPort: HTTP_PORT,
      // Room for a call still closing (~0.5 s) while its caller's next one starts: at callers + 1, two
      // callers redialling at once found the worker full and their second call was refused (a 15-min soak with 3 callers lost 4 of 99 so).
      env: { AGENT_MAX_CONCURRENT_CALLS: String(opts.callers * 2), AGENT_NUM_IDLE_PROCESSES: String(opts.callers) },
    });
    report = await soak(stack, worker, corpus, opts);
  } finally {
    await stack.stop();
  }
  writeReport(opts.out, report, renderMarkdown(report));
}

runBenchmark('bench', main);
