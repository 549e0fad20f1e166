import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SimulatedCaller } from '../../harness/caller/simulated-caller.js';
import { FAR_ONE_WAY_MS, NEAR_ONE_WAY_MS, RegionalCluster } from '../../harness/cluster/regional-cluster.js';
import { LATENCY_PROFILE_NAMES, latencyProfileNamed } from '../../harness/local-providers/index.js';
import { DEFAULT_AGENT_DEADLINE_MS } from '../../web/server/config.js';
import { PREPARED_AUDIO_ONLY } from '../shared/bench-call.js';
import { runBenchmark } from '../shared/bench-main.js';
import { runCallerSession } from '../shared/caller-session.js';
import { CORPUS, synthesizeCorpus } from '../shared/corpus.js';
import { type Spread, spread } from '../shared/spread.js';

const USAGE = `usage: npm run bench -- regions [options]
  --regions LIST   regions of the cluster (default us-east,eu-west)
  --turns N        utterances per call, from the corpus (default 12)
  --profile NAME   latency profile of the local providers (default ${LATENCY_PROFILE_NAMES[0]})
  --out DIR        report directory (default .run/bench/regions-<time>)

Runs the multi-region cluster (harness/cluster: a namespace, livekit-server node, providers and worker
pool per region, delayed links between them), and for callers near each region in turn places one call through
the placement service (near) and one forced onto each other region (cross), and reports the end-to-end
latency the callers heard, per placement, and the placement decision time.`;

interface Row {
  callersNear: string;
  servedBy: string;
  placement: 'near' | 'cross';
  endToEnd?: Spread;
  unanswered: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      regions: { type: 'string', default: 'us-east,eu-west' },
      turns: { type: 'string', default: '12' },
      profile: { type: 'string', default: LATENCY_PROFILE_NAMES[0] },
      out: { type: 'string', default: join('.run/bench', `regions-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const turns = Number(values.turns);
  if (!Number.isInteger(turns) || turns < 1) throw new Error(`--turns: a positive integer, not '${values.turns}'`);
  const regions = values.regions.split(',');
  mkdirSync(values.out, { recursive: true });
  const corpus = (await synthesizeCorpus()).slice(0, Math.min(turns, CORPUS.length));
  const cluster = await RegionalCluster.start({
    regions,
    logDir: join(values.out, 'logs'),
    latency: latencyProfileNamed(values.profile, '--profile'),
  });
  const decisions: number[] = [];
  const placement = cluster.placement({
    agentDeadlineMs: DEFAULT_AGENT_DEADLINE_MS,
    log: (event) => typeof event.decisionMs === 'number' && decisions.push(event.decisionMs),
  });
  const rows: Row[] = [];
  try {
    for (const region of regions) await cluster.startWorker(region, { httpPort: 8081, env: { AGENT_NUM_IDLE_PROCESSES: '1' } });
    for (const near of regions) {
      cluster.callersNear(near);
      for (const servedBy of [near, ...regions.filter((r) => r !== near)]) {
        // The hint names the region to serve the call: the caller's own, or one it is forced onto.
        const placed = await placement.place(servedBy, undefined);
        const caller = await SimulatedCaller.join({ url: placed.url, token: placed.token, ...PREPARED_AUDIO_ONLY });
        try {
          const session = await runCallerSession(caller, corpus);
          const row: Row = {
            callersNear: near,
            servedBy: placed.region,
            placement: placed.region === near ? 'near' : 'cross',
            endToEnd: spread(session.turns.map((t) => t.heardAt - t.speechEndAt)),
            unanswered: session.unanswered.length,
          };
          console.log(
            `callers near ${near}, served by ${row.servedBy}: e2e p50 ${row.endToEnd?.p50.toFixed(0)} ms, p95 ${row.endToEnd?.p95.toFixed(0)} ms`,
          );
          rows.push(row);
        } finally {
          await caller.hangUp();
        }
        await new Promise((r) => setTimeout(r, 2000)); // the job ends, the pool reports it free
      }
    }
  } finally {
    await placement.close();
    await cluster.stop();
  }
  const decision = spread(decisions);
  const report = {
    startedAt: new Date().toISOString(),
    distances: { nearOneWayMs: NEAR_ONE_WAY_MS, farOneWayMs: FAR_ONE_WAY_MS },
    turns: corpus.length,
    rows,
    decisionMs: decision,
  };
  writeFileSync(join(values.out, 'report.json'), JSON.stringify(report, null, 2));
  const md = [
    `# Regional placement: near vs cross-region (${new Date().toISOString()})`,
    '',
    `Links: callers ↔ their region ${NEAR_ONE_WAY_MS} ms one way, ↔ any other ${FAR_ONE_WAY_MS} ms (round trip ${2 * NEAR_ONE_WAY_MS} vs ${2 * FAR_ONE_WAY_MS} ms). ${corpus.length} turns per call; end to end = end of the caller's speech → first agent audio heard.`,
    '',
    '| callers near | served by | placement | e2e p50 | e2e p95 | unanswered |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.callersNear} | ${r.servedBy} | ${r.placement} | ${r.endToEnd?.p50.toFixed(0)} ms | ${r.endToEnd?.p95.toFixed(0)} ms | ${r.unanswered} |`,
    ),
    '',
    `Placement decision (regions, pool loads from Redis, choice): p50 ${decision?.p50.toFixed(1)} ms, p95 ${decision?.p95.toFixed(1)} ms over ${decision?.n ?? 0} placements.`,
  ].join('\n');
  writeFileSync(join(values.out, 'report.md'), md);
  console.log(`\n${md}\nreport: ${values.out}/report.md`);
}

runBenchmark('bench regions', main);
