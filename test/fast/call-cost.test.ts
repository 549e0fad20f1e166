import { initializeLogger } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallCostMeter } from '../../agent/metrics/call-cost.js';

describe("a call's cost, measured in its job process", () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

  it('counts the CPU the call used per second of call, and an event loop held up by it', async () => {
    const meter = new CallCostMeter();
    await new Promise((r) => setTimeout(r, 100));
    // 150 ms of CPU that blocks the loop (longer on a busy machine), in a call of ~300 ms or more.
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 150_000);
    await new Promise((r) => setTimeout(r, 50));
    const cost = meter.stop();
    // The call took 150 ms of CPU at least (durationS is rounded to 0.1 s).
    expect(cost.cpuMsPerSecond * cost.durationS).toBeGreaterThan(150 * 0.8);
    expect(cost.cpuMsPerSecond).toBeLessThan(1000);
    expect(cost.eventLoopDelayMs.max).toBeGreaterThanOrEqual(100);
    expect(cost.pssMb).toBeGreaterThan(0);
    expect(cost.pssMb!).toBeLessThanOrEqual(cost.rssMb);
  });
});
