import { readFile } from 'node:fs/promises';

/**
 * The job processes this worker has forked (running a call or warmed and waiting for one): its
 * children whose command line runs `agentFile`, the file the framework forks each job process with
 * (the inference process runs another). The framework keeps its process pool to itself. Undefined
 * where /proc cannot say (not Linux, or a kernel without CONFIG_PROC_CHILDREN).
 */
export async function countJobProcesses(agentFile: string): Promise<number | undefined> {
  const list = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => undefined);
  if (list === undefined) return undefined;
  const children = list.split(' ').filter(Boolean);
  const runsAgent = await Promise.all(
    children.map((pid) =>
      readFile(`/proc/${pid}/cmdline`, 'utf8').then(
        (cmdline) => cmdline.split('\0').includes(agentFile),
        () => false, // it exited meanwhile
      ),
    ),
  );
  return runsAgent.filter(Boolean).length;
}
