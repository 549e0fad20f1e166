import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on
const PAGE_BYTES = 4096;
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

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // exited between listing and reading
  }
}

/** Parent and start time (clock ticks since boot) from /proc/PID/stat. */
function stat(pid: number): { ppid: number; startTicks: number } | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name is parenthesised and may contain spaces: fields are counted after its ')' (field 3 is [0]).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), startTicks: Number(fields[19]) };
}

function describe(pid: number, startTicks: number, uptimeS: number): TreeProcess | undefined {
  const statm = read(`/proc/${pid}/statm`);
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (statm === undefined || cmdline === undefined) return undefined;
  const pssKb = /^Pss:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '')?.[1];
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
    rssMb: (Number(statm.split(' ')[1]) * PAGE_BYTES) / MB,
    pssMb: pssKb === undefined ? 0 : (Number(pssKb) * 1024) / MB,
    fds,
  };
}

/** `rootPid` and all its descendants, read from /proc now. */
export function readTree(rootPid: number): TreeProcess[] {
  const stats = new Map<number, { ppid: number; startTicks: number }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    const s = Number.isInteger(pid) ? stat(pid) : undefined;
    if (s) stats.set(pid, s);
  }
  const tree = new Set(stats.has(rootPid) ? [rootPid] : []);
  // Parents may be listed after children: repeat until no new descendant is found.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const uptimeS = Number((read('/proc/uptime') ?? '0').split(' ')[0]);
  return [...tree].flatMap((pid) => describe(pid, stats.get(pid)!.startTicks, uptimeS) ?? []);
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
