import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import { requireNamespaceNodeIp } from '../../harness/netns/node-ip.js';
import { LocalStack, type StackWorker } from '../../harness/stack/local-stack.js';
import { waitFor } from '../../harness/stack/wait.js';
import { runBenchmark, writeReport } from '../shared/bench-main.js';
import { type CorpusUtterance, synthesizeCorpus } from '../shared/corpus.js';
import { eventLoop, processCount, TRENDS, trend, verdicts } from './analysis.js';
import { type CallRun, callerLoop, rotation } from './calls.js';
import { fmt, minutes } from './format.js';
import { FINAL_SETTLE_MS, type Options, PROFILE, parseOptions, USAGE } from './options.js';
import { readTree, treeFigures } from './process-tree.js';
import { renderMarkdown, type SoakReport } from './report.js';
import { TreeSampler } from './tree-sampler.js';

const AGENT_NAME = 'bench-soak';
/** Not the latency benchmark's health ports (18301, 18302). */
const HTTP_PORT = 18303;
/** Once the idle pool is up: its processes finish loading, so the start figures are those of a ready worker. */
const POOL_SETTLE_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
