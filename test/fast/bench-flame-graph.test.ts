import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobFlameGraph } from '../../bench/latency/flame-graph.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  children,
});
const LAZY_MAIN = 'file:///app/node_modules/@livekit/agents/dist/ipc/job_proc_lazy_main.js';

/** A profile of a job process: 30 ms in our code under the framework, 50 ms in onnxruntime, 20 ms idle. */
const jobProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 5]),
    frame(2, 'main', LAZY_MAIN, [3, 4]),
    frame(3, 'onEnd', 'file:///app/dist/agent/session/conversation.js'),
    frame(4, 'run', 'file:///app/node_modules/onnxruntime-node/dist/backend.js'),
    frame(5, '(idle)', ''),
  ],
  samples: [3, 4, 4, 5, 3, 4],
  timeDeltas: [15_000, 25_000, 25_000, 20_000, 15_000, 0],
};
/** The worker's own profile: no job entry in it. */
const workerProfile = {
  nodes: [frame(1, '(root)', '', [2]), frame(2, 'runApp', 'file:///app/dist/agent/main.js')],
  samples: [2],
  timeDeltas: [1_000_000],
};

describe("the load benchmark's flame graph of the job processes", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("merges the job processes' profiles, leaves the worker's, old ones and idle time out, and says whose code ran", () => {
    dir = mkdtempSync(join(tmpdir(), 'flame-'));
    const since = Date.now() - 1000;
    writeFileSync(join(dir, 'CPU.1.cpuprofile'), JSON.stringify(jobProfile));
    writeFileSync(join(dir, 'CPU.2.cpuprofile'), JSON.stringify(jobProfile));
    writeFileSync(join(dir, 'CPU.3.cpuprofile'), JSON.stringify(workerProfile));
    writeFileSync(join(dir, 'CPU.4.cpuprofile'), JSON.stringify(jobProfile));
    utimesSync(join(dir, 'CPU.4.cpuprofile'), new Date(since - 60_000), new Date(since - 60_000)); // an earlier run's
    const graph = jobFlameGraph(dir, since)!;
    expect(graph.profiles).toBe(2);
    expect(graph.busyS).toBeCloseTo(0.16, 6);
    expect(graph.byOrigin).toEqual([
      ['onnxruntime-node', 0.1],
      ['ours', 0.06],
    ]);
    expect(graph.svg).toMatch(/^<svg /);
    expect(graph.svg).toContain('onEnd session/conversation.js:1 (ours): 0.06 s, 37.5 %');
    expect(graph.svg).not.toContain('(idle)');
    expect(graph.svg).not.toContain('runApp');
  });

  it('is absent when no job process was profiled', () => {
    dir = mkdtempSync(join(tmpdir(), 'flame-'));
    writeFileSync(join(dir, 'CPU.3.cpuprofile'), JSON.stringify(workerProfile));
    expect(jobFlameGraph(dir, 0)).toBeUndefined();
  });
});
