import { appendFileSync, writeFileSync } from 'node:fs';
import { readTree, type TreeFigures, type TreeProcess, treeFigures } from './process-tree.js';

/* The worker's process tree, sampled through the run (soak.csv). */

export type Phase = 'start' | 'run' | 'end';
export interface Sample extends TreeFigures {
  /** Seconds since the calls began. */
  tS: number;
  phase: Phase;
  callsInFlight: number;
}

export const CSV_COLUMNS = [
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
export class TreeSampler {
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
