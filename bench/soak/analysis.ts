import { percentile } from '../../agent/metrics/turn-latency-tracer.js';
import type { CallCost } from '../../contracts/worker-log.js';
import type { LogEntry } from '../../harness/stack/worker-log.js';
import { fmt } from './format.js';
import type { TreeFigures, TreeProcess } from './process-tree.js';
import type { Sample } from './tree-sampler.js';

/* What the samples say: trends fitted after the warm-up, the event loop, processes left, the verdicts. */
/** Memory is flat when it grows by less than this share of its mean per hour, or this many MB per hour, whichever is larger. */
export const FLAT_SHARE_PER_HOUR = 0.05;
export const FLAT_MB_PER_HOUR = 20;
/** Growth counts only when the fitted line explains this much of the variation. */
export const MIN_GROWTH_R2 = 0.3;
/** Memory is judged over at least this much of a run after its warm-up (the default 30 min run fits 22.5). */
export const MIN_FITTED_MINUTES = 10;

/** Least-squares line through the points: slope, intercept and R²; undefined below 3 points or with a single x. */
export function linearFit(
  points: readonly (readonly [x: number, y: number])[],
): { slope: number; intercept: number; r2: number } | undefined {
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

export interface Trend {
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

export const TRENDS: { metric: string; unit: Trend['unit']; memory: boolean; pick: (s: TreeFigures) => number | undefined }[] = [
  { metric: 'worker PSS', unit: 'MB', memory: true, pick: (s) => s.workerPssMb },
  { metric: 'job process PSS, largest', unit: 'MB', memory: true, pick: (s) => s.jobPssMaxMb },
  { metric: 'tree PSS', unit: 'MB', memory: true, pick: (s) => s.treePssMb },
  { metric: 'open fds', unit: 'count', memory: false, pick: (s) => s.fds },
  { metric: 'processes', unit: 'count', memory: false, pick: (s) => s.processes },
];

export function trend(def: (typeof TRENDS)[number], fitted: readonly Sample[], start: Sample, end: Sample): Trend {
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

export interface EventLoopSummary {
  /** Calls that logged their cost. */
  calls: number;
  p99MedianMs?: number;
  p99WorstMs?: number;
  maxWorstMs?: number;
  /** Median p99 of the calls that ended in the first and in the last quarter: a loop delay that grows is a leak too. */
  firstQuarterP99MedianMs?: number;
  lastQuarterP99MedianMs?: number;
}

export function eventLoop(lines: readonly LogEntry[], t0: number, durationS: number): EventLoopSummary {
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

export interface ProcessCount {
  atStart: number;
  atEnd: number;
  leaked: number;
  /** The oldest processes that appeared since the start, as many as leaked: the idle pool's replacements are new too, but the youngest. */
  suspects: { pid: number; ageS: number; cmdline: string }[];
}

export function processCount(start: readonly TreeProcess[], end: readonly TreeProcess[]): ProcessCount {
  const leaked = Math.max(0, end.length - start.length);
  const before = new Set(start.map((p) => p.pid));
  const suspects = end
    .filter((p) => !before.has(p.pid))
    .sort((a, b) => b.ageS - a.ageS)
    .slice(0, leaked)
    .map(({ pid, ageS, cmdline }) => ({ pid, ageS, cmdline }));
  return { atStart: start.length, atEnd: end.length, leaked, suspects };
}

export interface Verdict {
  target: 'flat memory' | 'no leaked process' | 'no call lost';
  /** Undefined when there was too little to judge. */
  pass?: boolean;
  detail: string;
}

export function verdicts(
  trends: readonly Trend[],
  processes: ProcessCount,
  completed: number,
  lost: number,
  fittedMinutes: number,
): Verdict[] {
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
