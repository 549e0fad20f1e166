import { ParticipantKind } from '@livekit/rtc-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPoolLoads } from '../../contracts/pool-presence.js';
import { REGION_ATTRIBUTE } from '../../contracts/region-attribute.js';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import { SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import { FAR_ONE_WAY_MS, NEAR_ONE_WAY_MS, RegionalCluster } from '../../harness/cluster/regional-cluster.js';
import { FliteSynthesizer } from '../../harness/speech/flite.js';
import type { PocketsphinxRecognizer } from '../../harness/speech/pocketsphinx.js';
import { primedRecognizer } from '../../harness/speech/recognizer-primer.js';
import { AGENT_VOICE, CALLER_VOICE } from '../../harness/speech/voices.js';
import { wordOverlap } from '../../harness/speech/words.js';
import type { StackWorker } from '../../harness/stack/local-stack.js';
import { waitFor } from '../../harness/stack/wait.js';
import type { Placement } from '../../placement/index.js';
import { scriptedAnswer } from '../support/scripted-answers.js';

const EAST = 'us-east';
const WEST = 'eu-west';
/** The placement service's deadline for an agent, from the caller's arrival. */
const AGENT_DEADLINE_MS = 5000;
const QUESTIONS = ['What time is it?', 'What is the weather like today?', 'Tell me a funny joke.'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Two regions on this machine (harness/cluster): a livekit-server node, local providers and a worker
 * pool in each region's network namespace, delayed links, one shared Redis, and the
 * placement service (web/server/placement) deciding where each call goes.
 */
describe('regional placement on a multi-node cluster', () => {
  let cluster: RegionalCluster;
  let placement: Placement;
  let ears: PocketsphinxRecognizer;
  const voice = new FliteSynthesizer({ voice: CALLER_VOICE });
  const placements: Record<string, unknown>[] = [];
  let east: StackWorker;
  let west: StackWorker;
  let port = 18300;
  let redis: Redis;

  const startWorker = (region: string, env: Record<string, string> = {}) =>
    cluster.startWorker(region, { httpPort: ++port, env: { AGENT_NUM_IDLE_PROCESSES: '1', ...env } });

  beforeAll(async () => {
    cluster = await RegionalCluster.start({ regions: [EAST, WEST], logDir: '.run/test-logs/regions' });
    // One call fills the east pool: spill-over needs no crowd.
    // Two warm processes in eu-west: when the us-east pool dies, its call in progress and a new caller
    // near it come to eu-west at once; with one, the second waited for a process to warm past the
    // placement deadline (CI on 2e26a9e), which is issue 22's to shorten, not this test's.
    [east, west] = [
      await startWorker(EAST, { AGENT_MAX_CONCURRENT_CALLS: '1' }),
      await startWorker(WEST, { AGENT_NUM_IDLE_PROCESSES: '2' }),
    ];
    placement = cluster.placement({ agentDeadlineMs: AGENT_DEADLINE_MS, log: (event) => placements.push(event) });
    redis = new Redis(`redis://${cluster.redis.address}`);
    ears = await primedRecognizer(AGENT_VOICE);
  }, 180_000);
  afterAll(async () => {
    await placement?.close();
    await ears?.close();
    redis?.disconnect();
    await cluster?.stop();
  });

  /** A caller placed by the service (as the web page's `POST /api/call`) with `hint` as its region. */
  async function call(hint: string) {
    const placed = await placement.place(hint, undefined);
    const caller = await SimulatedCaller.join({ url: placed.url, token: placed.token, synthesizer: voice, transcriber: ears });
    return { ...placed, caller, placedAs: placements.at(-1) };
  }

  /** The region of the agent(s) in the caller's room, as each agent's participant attribute says. */
  const agentRegions = (caller: SimulatedCaller) =>
    [...caller.room.remoteParticipants.values()].filter((p) => p.kind === ParticipantKind.AGENT).map((p) => p.attributes[REGION_ATTRIBUTE]);

  async function agentFrom(caller: SimulatedCaller, region: string, withinMs: number): Promise<number> {
    const since = performance.now();
    await waitFor(() => agentRegions(caller).includes(region), { timeoutMs: withinMs, what: `an agent from ${region}` });
    return performance.now() - since;
  }

  /**
   * Waits until the pools report no call (as livekit-server also knows), so each test starts from
   * empty pools. Every call here hangs up after the greeting: a caller who leaves during it holds
   * the job for 60 s (agents-js 1.8.1: AgentSession.close() times out on the unfinished first speech).
   */
  const poolsIdle = () =>
    waitFor(async () => [...(await readPoolLoads(redis)).values()].every((p) => p.activeCalls === 0), {
      timeoutMs: 30_000,
      what: 'idle pools',
    });

  it('a caller near us-east is served by us-east, one forced onto eu-west by eu-west, over a longer way but not a broken one', async () => {
    cluster.callersNear(EAST);
    const measure = async (hint: string, worker: StackWorker) => {
      const placed = await call(hint);
      try {
        await agentFrom(placed.caller, hint, 15_000);
        await placed.caller.hearNextSpeech(0);
        const mark = worker.log.mark();
        const heard: number[] = [];
        for (const q of [...QUESTIONS, ...QUESTIONS]) {
          const turn = await placed.caller.ask(q);
          expect(wordOverlap(scriptedAnswer(q), turn.reply)).toBeGreaterThanOrEqual(0.5);
          heard.push(turn.latencyMs);
        }
        const agentSide = (await worker.log.waitFor((l) => l.turns(mark).length >= heard.length && l.turns(mark), 'the turn records')).map(
          (t) => t.firstAudioMs ?? 0,
        );
        return { placedAs: placed.placedAs, heardMs: median(heard), transportMs: median(heard.map((h, i) => h - agentSide[i]!)) };
      } finally {
        await placed.caller.hangUp();
      }
    };
    const near = await measure(EAST, east);
    await poolsIdle();
    const forced = await measure(WEST, west);
    console.log(JSON.stringify({ near, forced }));
    expect(near.placedAs).toMatchObject({ region: EAST, reason: 'near' });
    expect(forced.placedAs).toMatchObject({ region: WEST });
    // What the agent's own stages take cancels out: what is left is the way to and from the caller.
    // Over six turns the jitter buffers swamp the added round trip (68 ms): the extra transport was
    // 33, 38, 0 and 11 ms in four CI runs, so how much sooner a near caller hears is bench/regions'
    // figure, on more turns. Here: the far way adds no more than twice its round trip.
    const addedRoundTrip = 2 * (FAR_ONE_WAY_MS - NEAR_ONE_WAY_MS);
    expect(forced.transportMs - near.transportMs).toBeLessThan(2 * addedRoundTrip);
  }, 240_000);

  it('us-east full: the next caller near it spills over to eu-west, and has an agent promptly', async () => {
    await poolsIdle();
    const first = await call(EAST);
    try {
      await agentFrom(first.caller, EAST, 15_000);
      const second = await call(EAST);
      try {
        expect(second.placedAs).toMatchObject({ region: WEST, reason: 'spill-over' });
        const tookMs = await agentFrom(second.caller, WEST, 10_000);
        console.log(JSON.stringify({ spillOverAgentMs: Math.round(tookMs) }));
        await second.caller.hearNextSpeech(0);
      } finally {
        await second.caller.hangUp();
      }
    } finally {
      await first.caller.hangUp();
    }
  });

  it('SIGTERM to the us-east pool mid-call: the call finishes there, new calls go elsewhere', async () => {
    await poolsIdle();
    const active = await call(EAST);
    try {
      await agentFrom(active.caller, EAST, 15_000);
      await active.caller.hearNextSpeech(0);
      east.process.kill('SIGTERM');
      // The pool says it takes no more calls within a renewal or two.
      await new Promise((r) => setTimeout(r, 2500));
      const next = await call(EAST);
      try {
        expect(next.placedAs).toMatchObject({ region: WEST, reason: 'failover' });
        await agentFrom(next.caller, WEST, 10_000);
        await next.caller.hearNextSpeech(0);
      } finally {
        await next.caller.hangUp();
      }
      const turn = await active.caller.ask(QUESTIONS[0]!);
      expect(wordOverlap(scriptedAnswer(QUESTIONS[0]!), turn.reply)).toBeGreaterThanOrEqual(0.5);
      expect(agentRegions(active.caller)).toEqual([EAST]);
    } finally {
      await active.caller.hangUp();
    }
    expect(await east.exited).not.toBeNull();
  });

  it('the us-east pool killed: new callers near it are served by eu-west within the deadline, its call in progress is taken over, no room gets two agents', async () => {
    // The new pool's first process warms on a machine busy with the other region: an agent is owed
    // once it has (CI on c35c6e4: none came within 15 s). The new worker logs to a file of its own.
    east = await startWorker(EAST);
    await waitFor(() => east.log.messages(WORKER_LOG.jobProcessWarmed, 0).length > 0, {
      timeoutMs: 60_000,
      what: 'the new us-east pool warmed',
    });
    await poolsIdle();
    const inProgress = await call(EAST);
    try {
      await agentFrom(inProgress.caller, EAST, 15_000);
      await inProgress.caller.hearNextSpeech(0);
      cluster.killPool(EAST);
      const killedAt = performance.now();
      // Placed before the pool's presence lapses: the dispatch goes to us-east, and no agent comes.
      const unlucky = await call(EAST);
      try {
        expect(unlucky.placedAs).toMatchObject({ region: EAST, reason: 'near' });
        const tookMs = await agentFrom(unlucky.caller, WEST, AGENT_DEADLINE_MS + 10_000);
        expect(placements.at(-1)).toMatchObject({ room: unlucky.room, region: WEST, reason: 'failover' });
        // Once the pool's presence has lapsed, callers go straight to eu-west.
        await new Promise((r) => setTimeout(r, 4000));
        const later = await call(EAST);
        try {
          expect(later.placedAs).toMatchObject({ region: WEST, reason: 'failover' });
          await agentFrom(later.caller, WEST, 10_000);
          await later.caller.hearNextSpeech(0);
        } finally {
          await later.caller.hangUp();
        }
        // The call that was on us-east hears an agent from eu-west again, with the conversation so far.
        const back = await inProgress.caller.hearNextSpeech(killedAt);
        const backMs = back.startedAt - killedAt;
        console.log(JSON.stringify({ failoverAgentMs: Math.round(tookMs), takenOverAfterMs: Math.round(backMs), heard: back.text }));
        expect(backMs).toBeLessThan(20_000);
        expect(agentRegions(inProgress.caller)).toEqual([WEST]);
        expect(agentRegions(unlucky.caller)).toEqual([WEST]);
        await unlucky.caller.hearNextSpeech(0);
      } finally {
        await unlucky.caller.hangUp();
      }
    } finally {
      await inProgress.caller.hangUp();
    }
  });

  it("us-east's livekit-server killed: a call in eu-west goes on untouched", async () => {
    await poolsIdle();
    const westCall = await call(WEST);
    try {
      await agentFrom(westCall.caller, WEST, 15_000);
      await westCall.caller.hearNextSpeech(0);
      await cluster.region(EAST).livekit.stop(0);
      for (const q of QUESTIONS.slice(0, 2)) {
        const turn = await westCall.caller.ask(q);
        expect(wordOverlap(scriptedAnswer(q), turn.reply)).toBeGreaterThanOrEqual(0.5);
      }
      expect(agentRegions(westCall.caller)).toEqual([WEST]);
    } finally {
      await westCall.caller.hangUp();
    }
  });
});
