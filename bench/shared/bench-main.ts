import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a benchmark's report.json and report.md into `dir`, and prints the markdown and where it went. */
export function writeReport(dir: string, report: unknown, markdown: string): void {
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(dir, 'report.md'), markdown);
  console.log(`\n${markdown}\nreport: ${dir}/report.md`);
}

/**
 * Runs a benchmark's `main` and exits with its outcome: rtc-node keeps native handles open after
 * its rooms disconnect, so the process would not end on its own.
 */
export function runBenchmark(label: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`${label}: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
