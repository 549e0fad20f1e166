import { type AgentServer, initializeLogger, JobRequest } from '@livekit/agents';
import { Job } from '@livekit/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallAdmission, type LoadReport } from '../../agent/worker/call-admission.js';

/** A dispatch as the framework hands it to the request function; resolves with the answer given. */
function dispatch(admission: CallAdmission, id: string): Promise<'accepted' | 'refused'> {
  return new Promise((resolve) => {
    const request = new JobRequest(
      new Job({ id }),
      async () => resolve('refused'),
      async () => resolve('accepted'),
    );
    void admission.requestFunc(request);
  });
}

/** The worker as the load function sees it, running `ids`. */
const running = (ids: string[]) => ({ activeJobs: ids.map((id) => ({ job: new Job({ id }) })) }) as unknown as AgentServer;

describe('call admission', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

  it('takes exactly as many calls of a burst as the worker may hold, refusing the rest at once', async () => {
    const admission = new CallAdmission(4, 0.7);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => dispatch(admission, `job-${i}`)));
    expect(answers.filter((a) => a === 'accepted')).toHaveLength(4);
    expect(answers.slice(4).every((a) => a === 'refused')).toBe(true);
  });

  it('counts a call from its acceptance through its run, and frees its place when it ends', async () => {
    const reports: LoadReport[] = [];
    const admission = new CallAdmission(2, 1, (r) => reports.push(r));
    expect(await dispatch(admission, 'a')).toBe('accepted');
    expect(await dispatch(admission, 'b')).toBe('accepted');
    // 'a' started, 'b' is still starting: both held, the load is full.
    expect(await admission.loadFunc(running(['a']))).toBe(1);
    expect(await dispatch(admission, 'c')).toBe('refused');
    expect(await admission.loadFunc(running(['a', 'b']))).toBe(1);
    // 'a' ended.
    expect(await admission.loadFunc(running(['b']))).toBe(0.5);
    expect(await dispatch(admission, 'd')).toBe('accepted');
    expect(reports).toEqual([
      { calls: 2, share: 1 },
      { calls: 2, share: 1 },
      { calls: 1, share: 0.5 },
    ]);
  });

  it("reports its load scaled to livekit-server's target load, below which it dispatches: offered calls up to the limit", async () => {
    const admission = new CallAdmission(4, 0.7);
    const ids = ['a', 'b', 'c'];
    for (const id of ids) await dispatch(admission, id);
    // 3 of 4: below the 0.7 at which livekit-server stops dispatching (unscaled, 0.75 was above it).
    expect(await admission.loadFunc(running(ids))).toBeCloseTo(0.525);
    await dispatch(admission, 'd');
    expect(await admission.loadFunc(running([...ids, 'd']))).toBeCloseTo(0.7);
  });
});
