import type { AgentServer } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { callCountLoad } from '../../agent/worker/call-count-load.js';

const serverWith = (calls: number) => ({ activeJobs: new Array(calls).fill({}) }) as unknown as AgentServer;

describe('callCountLoad', () => {
  it('is the share of the call limit in use, full at the limit', async () => {
    const load = callCountLoad(4);
    expect(await load(serverWith(0))).toBe(0);
    expect(await load(serverWith(1))).toBe(0.25);
    expect(await load(serverWith(4))).toBe(1);
    expect(await load(serverWith(6))).toBe(1);
  });
});
