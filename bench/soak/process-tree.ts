import { readdirSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND, processTree, pssBytes, readProc, rssBytes } from '../shared/proc.js';

const MB = 2 ** 20;
/** In the command line of the agents framework's job processes: one per call, plus the idle ones warmed up for the next calls. */
const JOB_PROCESS_ENTRY = 'job_proc_lazy_main';

/** One process of a worker's tree, as /proc shows it. */
export interface TreeProcess {
  pid: number;
  /** Seconds since it started: a leaked process is older than the idle pool's fresh ones. */
  ageS: number;
  cmdline: string;
  job: boolean;
  rssMb: number;
  /** Own pages plus its share of the pages it shares: summed over the tree, shared libraries count once. */
  pssMb: number;
  fds: number;
}

/** The figures of one sample of a worker's tree. */
export interface TreeFigures {
  processes: number;
  jobs: number;
  workerRssMb: number;
  workerPssMb: number;
  jobPssSumMb: number;
  /** Undefined when no job process was alive. */
  jobPssMaxMb: number | undefined;
  jobRssSumMb: number;
  treePssMb: number;
  /** Open file descriptors (sockets, pipes, files) of every process of the tree. */
  fds: number;
}

function describe(pid: number, startTicks: number, uptimeS: number): TreeProcess | undefined {
  const rss = rssBytes(pid);
  const cmdline = readProc(`/proc/${pid}/cmdline`);
  if (rss === undefined || cmdline === undefined) return undefined;
  let fds = 0;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // exited meanwhile: its descriptors are gone with it
  }
  const args = cmdline.split('\0').filter(Boolean).join(' ');
  return {
    pid,
    ageS: Math.round(uptimeS - startTicks / CLOCK_TICKS_PER_SECOND),
    cmdline: args,
    job: args.includes(JOB_PROCESS_ENTRY),
    rssMb: rss / MB,
    pssMb: pssBytes(pid) / MB,
    fds,
  };
}

/** `rootPid` and all its descendants, read from /proc now. */
export function readTree(rootPid: number): TreeProcess[] {
  const uptimeS = Number((readProc('/proc/uptime') ?? '0').split(' ')[0]);
  return [...processTree(rootPid)].flatMap(([pid, stat]) => describe(pid, stat.startTicks, uptimeS) ?? []);
}

export function treeFigures(procs: readonly TreeProcess[], rootPid: number): TreeFigures {
  const worker = procs.find((p) => p.pid === rootPid);
  const jobs = procs.filter((p) => p.job);
  const sum = (ps: readonly TreeProcess[], pick: (p: TreeProcess) => number) => ps.reduce((total, p) => total + pick(p), 0);
  return {
    processes: procs.length,
    jobs: jobs.length,
    workerRssMb: worker?.rssMb ?? 0,
    workerPssMb: worker?.pssMb ?? 0,
    jobPssSumMb: sum(jobs, (p) => p.pssMb),
    jobPssMaxMb: jobs.length ? Math.max(...jobs.map((p) => p.pssMb)) : undefined,
    jobRssSumMb: sum(jobs, (p) => p.rssMb),
    treePssMb: sum(procs, (p) => p.pssMb),
    fds: sum(procs, (p) => p.fds),
  };
}
