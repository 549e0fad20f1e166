import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LATENCY_PROFILE_NAMES } from '../../harness/local-providers/index.js';
import { CORPUS } from '../shared/corpus.js';
import { STAGGER_MS } from './calls.js';

/* The soak benchmark's command line. */

/** The local providers' default profile: the soak looks for leaks, not at latency. */
export const PROFILE = LATENCY_PROFILE_NAMES[0];
/** After the last call: job processes exit and the idle pool refills before the final count. */
export const FINAL_SETTLE_MS = 15_000;

export const USAGE = `usage: npm run bench -- soak [options]
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

export interface Options {
  durationS: number;
  callers: number;
  turns: number;
  sampleS: number;
  out: string;
}

export function parseOptions(): Options | undefined {
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
