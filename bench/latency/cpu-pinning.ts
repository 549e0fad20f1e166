import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Launcher } from '../../harness/stack/livekit-server.js';

/** Which CPUs the agent under test gets, and which everything else (livekit-server, providers, callers) keeps. */
export interface CpuPinning {
  agentCpus: number[];
  otherCpus: number[];
}

/** The default for load runs: the upper half of the CPUs to the agent, the rest to everything else; none on one CPU. */
export function defaultPinning(): CpuPinning | undefined {
  const all = cpus().map((_, i) => i);
  if (all.length < 2) return undefined;
  const half = Math.floor(all.length / 2);
  return { agentCpus: all.slice(half), otherCpus: all.slice(0, half) };
}

/** `--agent-cpus 1` or `2,3`; `none` for no pinning. */
export function parsePinning(raw: string): CpuPinning | undefined {
  if (raw === 'none') return undefined;
  const all = cpus().map((_, i) => i);
  const agentCpus = raw.split(',').map((c) => Number(c.trim()));
  for (const cpu of agentCpus)
    if (!all.includes(cpu)) throw new Error(`--agent-cpus: ${cpu} is not a CPU of this machine (0-${all.length - 1})`);
  const otherCpus = all.filter((c) => !agentCpus.includes(c));
  if (otherCpus.length === 0) throw new Error('--agent-cpus: leave at least one CPU for livekit-server, the providers and the callers');
  return { agentCpus, otherCpus };
}

/**
 * Pins this process (every thread: rtc-node's callers, the in-process providers) to the other CPUs;
 * its children inherit that (livekit-server, Redis), so start them after this.
 */
export function pinThisProcess(pinning: CpuPinning): void {
  const run = spawnSync('taskset', ['-a', '-p', '-c', pinning.otherCpus.join(','), String(process.pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`taskset failed: ${run.stderr.trim()}`);
}

/** Starts the agent's worker on its own CPUs; its job processes inherit them. */
export function agentLauncher(pinning: CpuPinning): Launcher {
  return (command, args) => ({ command: 'taskset', args: ['-c', pinning.agentCpus.join(','), command, ...args] });
}
