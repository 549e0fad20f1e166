import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../agent/config/load.js';
import { type CallCost, WORKER_LOG } from '../../contracts/worker-log.js';
import { LATENCY_PROFILE_NAMES, type LatencyProfileName } from '../../harness/local-providers/index.js';
import { requireNamespaceNodeIp } from '../../harness/netns/node-ip.js';
import type { Launcher } from '../../harness/stack/livekit-server.js';
import { LocalStack } from '../../harness/stack/local-stack.js';
import type { LogEntry } from '../../harness/stack/worker-log.js';
import { AGENT_KINDS, type AgentKind, type AgentUnderTest, parseAgentEnv, withAgentUnderTest } from '../shared/agents-under-test.js';
import { CALLER_KINDS, type CallerKind, placeBenchCall } from '../shared/bench-call.js';
import { runBenchmark, writeReport } from '../shared/bench-main.js';
import { type CallerSessionResult, runCallerSession } from '../shared/caller-session.js';
import { CORPUS, type CorpusUtterance, LATENCY_VOICES, synthesizeCorpus } from '../shared/corpus.js';
import { spread } from '../shared/spread.js';
import { agentLauncher, type CpuPinning, defaultPinning, parsePinning, pinThisProcess } from './cpu-pinning.js';
import { jobFlameGraph } from './flame-graph.js';
import type { ProcessTreeUsage } from './process-tree-usage.js';
import { type BenchReport, type LatencyRun, type LoadRun, renderMarkdown, slowestStage, summarize } from './report.js';
import { turnTimeline } from './turn-timeline.js';
import { renderWaterfall } from './waterfall.js';

const USAGE = `usage: npm run bench -- [options]
  --profiles LIST   latency profiles of the local providers (default ${LATENCY_PROFILE_NAMES.join(',')})
  --agents LIST     ours, python or both (default ours,python)
  --turns N         utterances per voice, from the corpus (default all ${CORPUS.length})
  --voices LIST     latency mode: the callers' voices, each saying the turns (default ${LATENCY_VOICES.join(',')}:
                    the voice first tuned on, and two the turn-taking settings never heard)
  --sessions N      load mode instead: 1..N simultaneous callers per agent (first profile only)
  --load-turns N    utterances per caller in load mode (default 6)
  --budget-ms MS    end-to-end p95 budget reported in load mode (default 1200)
  --agent-cpus LIST load mode: CPUs for the agent's worker tree, the rest for everything else (default: the upper half; none: no pinning)
  --cpu-prof DIR    our worker and its job processes write V8 CPU profiles (node --cpu-prof) to DIR as they exit
  --engines KIND    load mode: the providers' engines: known (the callers' sentences named from their sound,
                    each reply synthesized once; wideband callers only) or real (pocketsphinx, flite)
                    (default: known for webrtc callers, real for phone callers)
  --caller KIND     webrtc (a LiveKit client) or phone (phone-shaped: as livekit-sip joins, G.711 both ways) (default webrtc)
  --agent-env K=V   extra configuration for both agents, repeatable (e.g. STT_STREAMING=false to compare)
  --out DIR         report directory (default .run/bench/<time>)

Runs livekit-server, the local providers and each agent's worker, calls it with simulated callers over
real WebRTC (inside the network namespace bench/run.sh makes), and writes report.md, report.json
and one waterfall SVG per profile.`;

/**
 * Silence before the agent may end the turn, from the agents' configuration (both read the same
 * variables): the VAD's end-of-speech silence and the minimum endpointing delay both count from the
 * end of speech, so the later of the two decides.
 */
function endpointingSilenceMs(agentEnv: Record<string, string>): number {
  const { turn } = loadConfig({ LIVEKIT_URL: 'ws://unused', LIVEKIT_API_KEY: 'unused', LIVEKIT_API_SECRET: 'unused', ...agentEnv });
  return Math.max(turn.vadMinSilenceMs, turn.minEndpointingDelayMs);
}

interface Options {
  profiles: LatencyProfileName[];
  agents: AgentKind[];
  turns: number;
  voices: string[];
  sessions?: number;
  pinning?: CpuPinning;
  cpuProfDir?: string;
  loadTurns: number;
  budgetMs: number;
  agentEnv: Record<string, string>;
  caller: CallerKind;
  /** Load mode: the local providers' engines (LocalProvidersOptions.loadEngines when `known`). */
  engines: EngineKind;
  out: string;
}

const ENGINE_KINDS = ['known', 'real'] as const;
type EngineKind = (typeof ENGINE_KINDS)[number];

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string', default: LATENCY_PROFILE_NAMES.join(',') },
      agents: { type: 'string', default: AGENT_KINDS.join(',') },
      turns: { type: 'string', default: String(CORPUS.length) },
      voices: { type: 'string', default: LATENCY_VOICES.join(',') },
      sessions: { type: 'string' },
      'agent-cpus': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'load-turns': { type: 'string', default: '6' },
      'budget-ms': { type: 'string', default: '1200' },
      'agent-env': { type: 'string', multiple: true, default: [] },
      caller: { type: 'string', default: 'webrtc' },
      engines: { type: 'string' },
      out: { type: 'string', default: join('.run/bench', new Date().toISOString().replace(/[:.]/g, '-')) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const list = <T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] => {
    const items = raw.split(',').map((s) => s.trim());
    for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${flag}: '${item}' is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  const positive = (flag: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer, got '${raw}'`);
    return n;
  };
  const caller = list('caller', values.caller, CALLER_KINDS)[0]!;
  // The phone band flattens the sound of the sentences until some look alike (harness/speech/known-speech.ts).
  const engines =
    values.engines === undefined ? (caller === 'phone' ? 'real' : 'known') : list('engines', values.engines, ENGINE_KINDS)[0]!;
  if (engines === 'known' && caller === 'phone')
    throw new Error('--engines known: the known-sentence recognizer is made for wideband callers; use --engines real with --caller phone');
  return {
    profiles: list('profiles', values.profiles, LATENCY_PROFILE_NAMES),
    agents: list('agents', values.agents, AGENT_KINDS),
    turns: Math.min(positive('turns', values.turns), CORPUS.length),
    voices: values.voices.split(',').map((v) => v.trim()),
    sessions: values.sessions === undefined ? undefined : positive('sessions', values.sessions),
    pinning:
      values.sessions === undefined
        ? undefined
        : values['agent-cpus'] === undefined
          ? defaultPinning()
          : parsePinning(values['agent-cpus']),
    cpuProfDir: values['cpu-prof'],
    loadTurns: positive('load-turns', values['load-turns']),
    budgetMs: positive('budget-ms', values['budget-ms']),
    agentEnv: parseAgentEnv(values['agent-env']),
    caller,
    engines,
    out: values.out,
  };
}

const mb = (bytes: number) => bytes / 2 ** 20;

/** One call: the caller's session, with the job given time to close so its CPU is counted. */
async function call(
  stack: LocalStack,
  agentName: string,
  utterances: readonly CorpusUtterance[],
  kind: CallerKind,
): Promise<CallerSessionResult> {
  const caller = await placeBenchCall(stack, agentName, { kind });
  try {
    return await runCallerSession(caller, utterances);
  } finally {
    await caller.hangUp();
  }
}

/** Medians of the job processes' `call cost` lines; undefined when none was logged (the Python agent logs none). */
function callCosts(lines: LogEntry[]): LoadRun['calls'] {
  const costs = lines.map((l) => l as unknown as CallCost);
  if (costs.length === 0) return undefined;
  const median = (xs: number[]) => spread(xs)?.p50 ?? Number.NaN;
  const pss = costs.flatMap((c) => (c.pssMb === undefined ? [] : [c.pssMb]));
  return {
    cpuMsPerSecond: median(costs.map((c) => c.cpuMsPerSecond)),
    eventLoopP50Ms: median(costs.map((c) => c.eventLoopDelayMs.p50)),
    eventLoopP99Ms: median(costs.map((c) => c.eventLoopDelayMs.p99)),
    jobPssMb: pss.length ? median(pss) : undefined,
  };
}

async function latencyRun(
  stack: LocalStack,
  kind: AgentKind,
  env: Record<string, string>,
  profile: string,
  corpus: CorpusUtterance[],
  silenceMs: number,
  callerKind: CallerKind,
  launcher: Launcher | undefined,
): Promise<LatencyRun> {
  const measure = async (agent: AgentUnderTest, usage: ProcessTreeUsage): Promise<LatencyRun> => {
    stack.providers.log.clear();
    const window = usage.window();
    const session = await call(stack, agent.agentName, corpus, callerKind);
    await new Promise((r) => setTimeout(r, 1500)); // the job notices the hang-up and closes
    const used = window.end();
    const requests = stack.providers.log.list();
    return {
      agent: kind,
      profile,
      turns: session.turns.map((t) => turnTimeline(t, requests, silenceMs)),
      unanswered: session.unanswered,
      cpuSecondsPerSession: used.cpuSeconds,
      peakRssMb: mb(used.peakRssBytes),
      sessionRssMb: mb(used.peakRssBytes - used.baselineRssBytes),
    };
  };
  return withAgentUnderTest(stack, kind, { ...env, AGENT_NUM_IDLE_PROCESSES: '1' }, measure, { launcher });
}

/** How an agent's worker is started: pinned to its CPUs (load mode), and ours writing CPU profiles if asked. */
function launcherFor(kind: AgentKind, opts: Options): Launcher | undefined {
  const profDir = kind === 'ours' && opts.cpuProfDir ? resolve(opts.cpuProfDir) : undefined;
  const pin = opts.pinning && agentLauncher(opts.pinning);
  if (!profDir) return pin;
  // Forked job processes inherit the worker's execArgv, so they write profiles too (NODE_OPTIONS may not carry --cpu-prof).
  const profiled: Launcher = (command, args) => ({ command, args: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, ...args] });
  if (!pin) return profiled;
  return (command, args) => {
    const inner = profiled(command, args);
    return pin(inner.command, inner.args);
  };
}

async function loadRuns(
  stack: LocalStack,
  kind: AgentKind,
  env: Record<string, string>,
  profile: string,
  corpus: CorpusUtterance[],
  maxSessions: number,
  turns: number,
  callerKind: CallerKind,
  launcher: Launcher | undefined,
): Promise<LoadRun[]> {
  const loadEnv = { ...env, AGENT_NUM_IDLE_PROCESSES: String(maxSessions), AGENT_MAX_CONCURRENT_CALLS: String(maxSessions + 1) };
  const measure = async (agent: AgentUnderTest, usage: ProcessTreeUsage): Promise<LoadRun[]> => {
    const runs: LoadRun[] = [];
    for (let n = 1; n <= maxSessions; n++) {
      const mark = agent.log.mark();
      const window = usage.window();
      const sessions = await Promise.all(
        Array.from({ length: n }, (_, i) => {
          const mine = Array.from({ length: turns }, (_, k) => corpus[(i * turns + k) % corpus.length]!);
          // A call that got no agent or no greeting is a result of the load, not the end of the run.
          return call(stack, agent.agentName, mine, callerKind).catch((e: unknown): CallerSessionResult => {
            console.log(`  ${kind} × ${n}: a call failed: ${(e as Error).message}`);
            return { turns: [], unanswered: mine.map((u) => u.text) };
          });
        }),
      );
      await new Promise((r) => setTimeout(r, 1500));
      const used = window.end();
      const e2e = sessions.flatMap((s) => s.turns.map((t) => t.heardAt - t.speechEndAt));
      const run: LoadRun = {
        agent: kind,
        profile,
        sessions: n,
        endToEnd: spread(e2e),
        turns: e2e.length,
        unanswered: sessions.reduce((k, s) => k + s.unanswered.length, 0),
        cpuSecondsPerSession: used.cpuSeconds / n,
        peakRssMb: mb(used.peakRssBytes),
        peakPssMb: mb(used.peakPssBytes),
        addedPssPerSessionMb: mb(used.peakPssBytes - used.baselinePssBytes) / n,
        idlePssMb: mb(used.baselinePssBytes),
        calls: callCosts(agent.log.messages(WORKER_LOG.callCost, mark)),
      };
      console.log(
        `  ${kind} × ${n}: e2e p50 ${run.endToEnd?.p50.toFixed(0)} ms, p95 ${run.endToEnd?.p95.toFixed(0)} ms, CPU ${run.cpuSecondsPerSession.toFixed(2)} s/session, ` +
          `PSS ${run.peakPssMb.toFixed(0)} MB (+${run.addedPssPerSessionMb.toFixed(0)} MB/session)${run.calls ? `, event loop p99 ${run.calls.eventLoopP99Ms} ms` : ''}`,
      );
      runs.push(run);
    }
    return runs;
  };
  return withAgentUnderTest(stack, kind, loadEnv, measure, { launcher });
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!opts) return console.log(USAGE);
  mkdirSync(opts.out, { recursive: true });
  // Before anything is started: livekit-server, Redis and the providers inherit it.
  if (opts.pinning) pinThisProcess(opts.pinning);
  // Load runs (and the known-sentence recognizer) keep to the one voice; latency runs hear every voice.
  const corpus = await synthesizeCorpus(CORPUS, opts.sessions ? undefined : opts.voices);
  const silenceMs = endpointingSilenceMs(opts.agentEnv);
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) },
    endpointingSilenceMs: silenceMs,
    agentEnv: opts.agentEnv,
    caller: opts.caller,
    budgetMs: opts.budgetMs,
    pinning: opts.pinning,
    engines: opts.sessions ? opts.engines : 'real',
    corpus: {
      utterances: opts.sessions ? opts.turns : opts.turns * opts.voices.length,
      minSeconds: Math.min(...corpus.map((u) => u.seconds)),
      maxSeconds: Math.max(...corpus.map((u) => u.seconds)),
    },
    latency: [],
    load: [],
  };
  const profiles = opts.sessions ? opts.profiles.slice(0, 1) : opts.profiles;
  for (const profile of profiles) {
    // Single-session latency runs keep the real engines; load runs take the providers' cost off the machine.
    const loadEngines = opts.sessions && opts.engines === 'known' ? { knownSpeech: corpus } : undefined;
    const stack = await LocalStack.start({
      logDir: join(opts.out, `logs-${profile}`),
      nodeIp: requireNamespaceNodeIp(),
      latency: profile,
      loadEngines,
    });
    try {
      for (const kind of opts.agents) {
        if (opts.sessions) {
          console.log(`profile ${profile}, ${kind}: 1..${opts.sessions} simultaneous sessions`);
          report.load.push(
            ...(await loadRuns(
              stack,
              kind,
              opts.agentEnv,
              profile,
              corpus,
              opts.sessions,
              opts.loadTurns,
              opts.caller,
              launcherFor(kind, opts),
            )),
          );
          continue;
        }
        const utterances = corpus.filter((u) => CORPUS.indexOf(u.text) < opts.turns);
        console.log(`profile ${profile}, ${kind}: ${utterances.length} turns (${opts.voices.join(', ')})`);
        const run = await latencyRun(stack, kind, opts.agentEnv, profile, utterances, silenceMs, opts.caller, launcherFor(kind, opts));
        const s = summarize(run);
        console.log(
          `  e2e p50 ${s.endToEnd?.p50.toFixed(0)} ms p95 ${s.endToEnd?.p95.toFixed(0)} ms; overhead p50 ${s.overhead?.p50.toFixed(0)} ms p95 ${s.overhead?.p95.toFixed(0)} ms; ` +
            `slowest: ${slowestStage(s)}; CPU ${run.cpuSecondsPerSession.toFixed(2)} s; ${run.unanswered.length} unanswered`,
        );
        report.latency.push(run);
      }
    } finally {
      await stack.stop();
    }
    const runs = report.latency.filter((r) => r.profile === profile);
    if (runs.length) {
      const svg = renderWaterfall(
        `Median turn, profile ${profile}`,
        runs.map((r) => ({ name: r.agent === 'ours' ? 'ours (TypeScript)' : 'Python livekit-agents', summary: summarize(r) })),
        silenceMs,
      );
      writeFileSync(join(opts.out, `waterfall-${profile}.svg`), svg);
    }
  }
  const flame = opts.cpuProfDir ? jobFlameGraph(resolve(opts.cpuProfDir), Date.parse(report.startedAt)) : undefined;
  if (flame) {
    writeFileSync(join(opts.out, 'flame-jobs.svg'), flame.svg);
    report.jobProfile = { profiles: flame.profiles, busyS: flame.busyS, byOrigin: flame.byOrigin };
  }
  writeReport(opts.out, report, renderMarkdown(report));
}

runBenchmark('bench', main);
