import { WORKER_LOG } from '../../contracts/worker-log.js';
import type { EventLoopSummary, ProcessCount, Trend, Verdict } from './analysis.js';
import type { CallOutcome } from './calls.js';
import { fmt, minutes } from './format.js';
import { FINAL_SETTLE_MS, type Options } from './options.js';

/* The soak's report, as Markdown. */

export interface SoakReport {
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

export function renderMarkdown(r: SoakReport): string {
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
