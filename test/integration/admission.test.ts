import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import type { JoinedCall } from '../../harness/caller/place-call.js';
import { wordOverlap } from '../../harness/speech/words.js';
import type { StackWorker } from '../../harness/stack/local-stack.js';
import { waitFor } from '../../harness/stack/wait.js';
import { type CallTestBed, startCallTestBed } from '../support/call-test-bed.js';

const GREETING = 'Hello! How can I help you today?';
const MIN_OVERLAP = 0.6;
/** Longer than any admitted agent takes to join here (a few seconds, under load). */
const AGENT_JOIN_MS = 20_000;

/**
 * Admission under a burst of dispatches, through livekit-server: a worker takes exactly the calls it
 * may hold and refuses the rest at once, so livekit-server offers them to another worker.
 */
describe('a burst of dispatches beyond capacity', () => {
  let bed: CallTestBed;
  let calls: JoinedCall[] = [];
  /** The second worker, started by the second test. */
  let second: StackWorker | undefined;
  /** The first worker's log when the first burst came; it replaces the processes that burst's calls took. */
  let firstBurstMark = 0;

  beforeAll(async () => {
    bed = await startCallTestBed({
      name: 'admission',
      httpPort: 18195,
      env: { AGENT_MAX_CONCURRENT_CALLS: '2', AGENT_NUM_IDLE_PROCESSES: '2', AGENT_GREETING: GREETING },
    });
  });
  afterEach(async () => {
    await Promise.all(calls.map((c) => c.caller.hangUp()));
    calls = [];
  });
  afterAll(async () => {
    await bed?.stop();
  });

  /**
   * `n` calls dispatched at once; for each, whether an agent joined it and, with `hearGreeting`,
   * greeted the caller (its words heard).
   */
  async function burst(n: number, hearGreeting: boolean): Promise<{ served: boolean[]; startedAt: number }> {
    const startedAt = Date.now();
    calls = await Promise.all(Array.from({ length: n }, () => bed.call()));
    const served = await Promise.all(
      calls.map(async ({ caller }) => {
        const joined = await caller.waitForAgentWithin(AGENT_JOIN_MS).then(
          () => true,
          () => false,
        );
        if (!joined || !hearGreeting) return joined;
        const greeting = await caller.hearNextSpeech(0);
        expect(
          wordOverlap(GREETING, greeting.text),
          `heard "${greeting.text}" (${Math.round(greeting.audioMs)} ms)`,
        ).toBeGreaterThanOrEqual(MIN_OVERLAP); // no silent agent
        return true;
      }),
    );
    return { served, startedAt };
  }

  /** A gauge of the first worker's /metrics, as an autoscaler scrapes it. */
  const gauge = async (name: string) => {
    const text = await (await fetch('http://127.0.0.1:18195/metrics')).text();
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  };

  /** How many job processes `worker` has warmed since `mark`. */
  const warmed = (worker: StackWorker, mark: number) => worker.log.messages(WORKER_LOG.jobProcessWarmed, mark).length;

  /** The calls `worker` started since `mark`, by room. */
  const started = (worker: StackWorker, mark: number) => worker.log.messages(WORKER_LOG.callStarted, mark).map((e) => e.room as string);

  it('one worker of 2 calls, 5 dispatches: 2 calls greeted, the other 3 refused at once and left without an agent; its gauges say so', async () => {
    await waitFor(async () => (await gauge('voice_agent_idle_processes')) === 2, { timeoutMs: 30_000, what: 'two job processes' });
    await waitFor(async () => warmed(bed.worker, 0) >= 2, { timeoutMs: 60_000, what: 'two job processes warmed' });
    expect(await gauge('voice_agent_reported_load')).toBe(0);
    const mark = bed.worker.log.mark();
    firstBurstMark = mark;
    const { served, startedAt } = await burst(5, true);
    expect(served.filter(Boolean)).toHaveLength(2);
    expect(started(bed.worker, mark)).toHaveLength(2);
    // The worker refuses what livekit-server still sends it; once its full load is reported, livekit-server sends no more.
    const refusals = bed.worker.log.messages(WORKER_LOG.callRefused, mark);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(3);
    const refusedAfterMs = refusals.map((e) => (e.time as number) - startedAt);
    console.log(JSON.stringify({ refusedAfterMs }));
    // Refused as the dispatches came, not after a wait for a process or a timeout.
    expect(Math.max(...refusedAfterMs)).toBeLessThan(5000);
    // Full, as livekit-server and an autoscaler are told (the load is reported every 2.5 s).
    await waitFor(async () => (await gauge('voice_agent_reported_load')) === 1, { timeoutMs: 10_000, what: 'the full load reported' });
    expect(await gauge('voice_agent_active_calls')).toBe(2);
  }, 120_000);

  it('with a second worker of 4 calls: every call of a burst of 5 gets an agent, and neither worker holds more than it may', async () => {
    second = await bed.startWorker(
      bed.worker.agentName,
      18196,
      { AGENT_MAX_CONCURRENT_CALLS: '4', AGENT_NUM_IDLE_PROCESSES: '3', AGENT_GREETING: GREETING },
      'admission-second',
    );
    // The last test's calls have ended, and both workers have reported an empty load (every 2.5 s) since.
    await waitFor(async () => (await bed.worker.activeCalls()) === 0, { timeoutMs: 30_000, what: 'the last calls to end' });
    // Job processes still loading their models when the burst comes compete with its calls for the CPU,
    // so this tests admission, not a cold start: in CI a greeting came garbled, and here, under load, a
    // process took longer than its initialisation timeout and its call waited 26 s for the next one.
    await waitFor(async () => warmed(bed.worker, firstBurstMark) >= 2 && warmed(second!, 0) >= 3, {
      timeoutMs: 60_000,
      what: 'both workers warmed',
    });
    await new Promise((r) => setTimeout(r, 3000));
    const [markFirst, markSecond] = [bed.worker.log.mark(), second.log.mark()];
    // Five calls starting at once on two cores (callers and providers included), and a job process
    // forked to replace each one taken, are more than this machine serves (about one call a core,
    // docs/benchmarks.md, "Cost per call"): greetings stalled in the TTS and one was never heard (CI, d54ee71).
    // This test is about admission; the next one hears every greeting, its calls placed one by one.
    const { served } = await burst(5, false);
    expect(served.every(Boolean)).toBe(true);
    const [onFirst, onSecond] = [started(bed.worker, markFirst), started(second, markSecond)];
    console.log(
      JSON.stringify({
        onFirst: onFirst.length,
        onSecond: onSecond.length,
        refusedByFirst: bed.worker.log.messages(WORKER_LOG.callRefused, markFirst).length,
      }),
    );
    expect(onFirst.length).toBeLessThanOrEqual(2);
    expect(onSecond.length).toBeLessThanOrEqual(4);
    expect(new Set([...onFirst, ...onSecond])).toEqual(new Set(calls.map((c) => c.room)));
  }, 150_000);

  it('calls placed one by one fill both workers to their limits (2 + 4), each call greeted', async () => {
    await waitFor(async () => (await bed.worker.activeCalls()) + (await second!.activeCalls()) === 0, {
      timeoutMs: 30_000,
      what: 'the last calls to end',
    });
    await new Promise((r) => setTimeout(r, 3000));
    const workers = [bed.worker, second!];
    const marks = workers.map((w) => w.log.mark());
    for (let i = 0; i < 6; i++) {
      const placed = await bed.call();
      calls.push(placed);
      // livekit-server dispatches only below its target load (0.7): a worker of 4 reporting 3/4 unscaled got no 4th call.
      await placed.caller.waitForAgentWithin(AGENT_JOIN_MS);
      expect(wordOverlap(GREETING, (await placed.caller.hearNextSpeech(0)).text)).toBeGreaterThanOrEqual(MIN_OVERLAP);
      await new Promise((r) => setTimeout(r, 3000)); // the load report (every 2.5 s) counts it
      // Each call takes a warm process and the worker warms another (~2.8 s of CPU, 10-25 s here with
      // five calls up). Warming beside the next greeting stalled its TTS for 10 s, and the framework
      // dropped it (CI on c35c6e4: the sixth caller heard nothing). Warm-up competing with live calls
      // is issue 22's; this test is about admission, so each call waits for the last one's replacement.
      await waitFor(() => workers.every((w, k) => warmed(w, marks[k]!) >= started(w, marks[k]!).length), {
        timeoutMs: 60_000,
        what: 'the taken processes replaced',
      });
    }
  }, 180_000);
});
