/**
 * A process's proportional set size from its /proc/PID/smaps_rollup text: its own pages plus its
 * share of the pages it shares (RSS counts shared pages whole), in bytes. Undefined when absent.
 */
export function pssBytesOf(smapsRollup: string): number | undefined {
  const kb = /^Pss:\s+(\d+) kB$/m.exec(smapsRollup)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}
