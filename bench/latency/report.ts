import type { AgentKind } from '../shared/agents-under-test.js';
import type { CallerKind } from '../shared/bench-call.js';
import { type Spread, spread } from '../shared/spread.js';
import { TIMELINE_STAGE_LABELS, TIMELINE_STAGES, type TimelineStage, type TurnTimeline } from './turn-timeline.js';

/** One agent, one latency profile, one caller: the per-turn figures and the session's resource use. */
export interface LatencyRun {
  agent: AgentKind;
  profile: string;
  turns: TurnTimeline[];
  unanswered: string[];
  cpuSecondsPerSession: number;
  peakRssMb: number;
  /** Peak RSS of the tree during the call minus its RSS before the call. */
  sessionRssMb: number;
}

/** One agent with N simultaneous callers. */
export interface LoadRun {
  agent: AgentKind;
  profile: string;
  sessions: number;
  endToEnd?: Spread;
  turns: number;
  unanswered: number;
  cpuSecondsPerSession: number;
  peakRssMb: number;
  /** Peak PSS of the agent's whole process tree (worker, job and idle processes). */
  peakPssMb: number;
  /** PSS of the tree before the calls: the worker and its idle processes (one per session, warmed). */
  idlePssMb: number;
  /** What the calls added to the tree's PSS, per session. */
  addedPssPerSessionMb: number;
  /** Per call, from the job processes' `call cost` lines (ours only): medians over the calls. */
  calls?: { cpuMsPerSecond: number; eventLoopP50Ms: number; eventLoopP99Ms: number; jobPssMb?: number };
}

export interface BenchReport {
  startedAt: string;
  machine: { cpus: number; memoryGb: number };
  endpointingSilenceMs: number;
  /** Configuration given to both agents on top of the defaults. */
  agentEnv: Record<string, string>;
  /** How the callers reached the agents (bench/bench-call.ts). */
  caller: CallerKind;
  budgetMs: number;
  /** Load mode: the CPUs the agent's worker tree was pinned to, and the rest (livekit-server, providers, callers). */
  pinning?: { agentCpus: number[]; otherCpus: number[] };
  /** The local providers' engines: real (pocketsphinx, flite) or, in load mode, known sentences and cached speech. */
  engines: 'known' | 'real';
  corpus: { utterances: number; minSeconds: number; maxSeconds: number };
  latency: LatencyRun[];
  load: LoadRun[];
  /** With --cpu-prof: our job processes' CPU profiles merged (flame-jobs.svg), and their self time by where the code comes from. */
  jobProfile?: { profiles: number; busyS: number; byOrigin: [origin: string, seconds: number][] };
}

export interface RunSummary {
  endToEnd?: Spread;
  overhead?: Spread;
  provider?: Spread;
  stages: Partial<Record<TimelineStage, Spread>>;
}

export function summarize(run: LatencyRun): RunSummary {
  const pick = (f: (t: TurnTimeline) => number | undefined) => spread(run.turns.map(f).filter((v): v is number => v !== undefined));
  return {
    endToEnd: pick((t) => t.endToEndMs),
    overhead: pick((t) => t.overheadMs),
    provider: pick((t) => t.providerMs),
    stages: Object.fromEntries(TIMELINE_STAGES.map((s) => [s, pick((t) => t.stages[s])])),
  };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)}`);
const ratio = (ours: number | undefined, theirs: number | undefined) =>
  ours === undefined || theirs === undefined || theirs === 0 ? '–' : (ours / theirs).toFixed(2);

/** The Markdown report: per profile, a table of stage deltas per agent with ours/Python ratios. */
export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [
    `# Voice-to-voice latency benchmark`,
    '',
    `${report.startedAt}; ${report.machine.cpus} CPUs, ${report.machine.memoryGb} GiB. Corpus: ${report.corpus.utterances} utterances of ` +
      `${report.corpus.minSeconds.toFixed(1)}–${report.corpus.maxSeconds.toFixed(1)} s, one caller per call over real WebRTC in a network namespace` +
      (report.caller === 'phone' ? ', phone-shaped (joined as livekit-sip joins, 8 kHz G.711 µ-law both ways).' : '.'),
    `End to end = last sample of the caller's speech sent → first audible agent sample received. ` +
      `Agent overhead = end to end − endpointing silence (${report.endpointingSilenceMs} ms) − provider time on the critical path.`,
    Object.keys(report.agentEnv).length
      ? `Agent configuration on top of the defaults: ${Object.entries(report.agentEnv)
          .map(([k, v]) => `\`${k}=${v}\``)
          .join(', ')}.`
      : 'Both agents on their default configuration.',
    '',
  ];
  for (const profile of [...new Set(report.latency.map((r) => r.profile))]) {
    const runs = report.latency.filter((r) => r.profile === profile);
    const ours = runs.find((r) => r.agent === 'ours');
    const python = runs.find((r) => r.agent === 'python');
    const so = ours && summarize(ours);
    const sp = python && summarize(python);
    out.push(`## Profile \`${profile}\``, '');
    out.push('| figure (ms) | ours p50 | ours p95 | Python p50 | Python p95 | ours/Python p50 | ours/Python p95 |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    const row = (label: string, a?: Spread, b?: Spread) =>
      out.push(
        `| ${label} | ${ms(a?.p50)} | ${ms(a?.p95)} | ${ms(b?.p50)} | ${ms(b?.p95)} | ${ratio(a?.p50, b?.p50)} | ${ratio(a?.p95, b?.p95)} |`,
      );
    row('**end to end**', so?.endToEnd, sp?.endToEnd);
    const voices = [...new Set(runs.flatMap((r) => r.turns.map((t) => t.voice ?? '')))].filter(Boolean);
    if (voices.length > 1) {
      const byVoice = (r: LatencyRun | undefined, voice: string) =>
        r && spread(r.turns.filter((t) => t.voice === voice).map((t) => t.endToEndMs));
      for (const v of voices) row(`end to end, caller voice ${v}`, byVoice(ours, v), byVoice(python, v));
    }
    row('**agent overhead**', so?.overhead, sp?.overhead);
    row('provider time on the critical path', so?.provider, sp?.provider);
    for (const s of TIMELINE_STAGES) row(TIMELINE_STAGE_LABELS[s], so?.stages[s], sp?.stages[s]);
    out.push('');
    out.push('| per session | ours | Python | ours/Python |', '|---|---:|---:|---:|');
    out.push(
      `| CPU seconds | ${ours?.cpuSecondsPerSession.toFixed(2) ?? '–'} | ${python?.cpuSecondsPerSession.toFixed(2) ?? '–'} | ${ratio(ours?.cpuSecondsPerSession, python?.cpuSecondsPerSession)} |`,
    );
    out.push(
      `| peak RSS of the worker tree (MB) | ${ms(ours?.peakRssMb)} | ${ms(python?.peakRssMb)} | ${ratio(ours?.peakRssMb, python?.peakRssMb)} |`,
    );
    out.push(
      `| RSS added by the call (MB) | ${ms(ours?.sessionRssMb)} | ${ms(python?.sessionRssMb)} | ${ratio(ours?.sessionRssMb, python?.sessionRssMb)} |`,
    );
    const turns = (r?: LatencyRun) => (r ? `${r.turns.length} answered, ${r.unanswered.length} unanswered` : '–');
    out.push(`| turns | ${turns(ours)} | ${turns(python)} | |`);
    if (so?.stages) out.push('', `Slowest stage (ours, p50): ${slowestStage(so)}.`);
    out.push('', `![waterfall](waterfall-${profile}.svg)`, '');
  }
  if (report.load.length) {
    out.push(`## Simultaneous sessions (budget: end-to-end p95 ≤ ${report.budgetMs} ms)`, '');
    const pin = report.pinning;
    out.push(
      pin
        ? `The agent's worker tree ran on CPU ${pin.agentCpus.join(',')}, everything else on CPU ${pin.otherCpus.join(',')}.`
        : 'Not pinned: the agent shared every CPU with livekit-server, the providers and the callers.',
    );
    out.push(
      report.engines === 'known'
        ? "Providers' engines: known sentences (each caller utterance named from its sound, no decoding) and each reply synthesized once, so the providers cost next to nothing."
        : "Providers' engines: real (pocketsphinx decodes every utterance, flite synthesizes every reply), on the same machine.",
      '',
    );
    out.push(
      '| agent | profile | sessions | turns | unanswered | e2e p50 | e2e p95 | CPU s / session | tree PSS idle → peak (MB) | PSS added / session (MB) | peak RSS (MB) | job CPU ms/s | job PSS (MB) | event loop p50 / p99 (ms) |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of report.load) {
      const c = r.calls;
      out.push(
        `| ${r.agent} | ${r.profile} | ${r.sessions} | ${r.turns} | ${r.unanswered} | ${ms(r.endToEnd?.p50)} | ${ms(r.endToEnd?.p95)} | ${r.cpuSecondsPerSession.toFixed(2)} | ${ms(r.idlePssMb)} → ${ms(r.peakPssMb)} | ${ms(r.addedPssPerSessionMb)} | ${ms(r.peakRssMb)} | ${ms(c?.cpuMsPerSecond)} | ${ms(c?.jobPssMb)} | ${c ? `${c.eventLoopP50Ms} / ${c.eventLoopP99Ms}` : '–'} |`,
      );
    }
    out.push(
      '',
      "Tree PSS: the agent's whole process tree (worker, inference, job and idle processes; the idle ones are warmed one per session before the calls). " +
        "Job columns: medians of the job processes' own `call cost` lines at each call's end (ours only; one job process per call).",
    );
    for (const agent of [...new Set(report.load.map((r) => r.agent))]) {
      const over = report.load.find((r) => r.agent === agent && (r.endToEnd?.p95 ?? Infinity) > report.budgetMs);
      out.push(
        '',
        `${agent}: ${over ? `p95 first exceeds the budget at ${over.sessions} sessions` : 'p95 within budget at every N measured'}.`,
      );
    }
    out.push('');
  }
  const jp = report.jobProfile;
  if (jp) {
    out.push(
      `## Where our job processes' CPU goes`,
      '',
      `${jp.profiles} job processes (the calls' and the idle ones, whose start each call pays for), ${jp.busyS.toFixed(1)} s of CPU, idle time left out. Self time by where the code comes from:`,
      '',
      '| code | CPU s | share |',
      '|---|---:|---:|',
      ...jp.byOrigin.slice(0, 15).map(([origin, s]) => `| ${origin} | ${s.toFixed(2)} | ${((100 * s) / jp.busyS).toFixed(1)} % |`),
      '',
      '![flame graph of the job processes](flame-jobs.svg)',
      '',
    );
  }
  return out.join('\n');
}

export function slowestStage(summary: RunSummary): string {
  const entries = TIMELINE_STAGES.map((s) => [s, summary.stages[s]?.p50 ?? -Infinity] as const).sort((a, b) => b[1] - a[1]);
  const [name, value] = entries[0]!;
  return `${TIMELINE_STAGE_LABELS[name]}, ${Math.round(value)} ms`;
}
