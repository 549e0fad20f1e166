import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnMetrics } from '../../agent/metrics/turn-metrics.js';
import { type WorkerHttpFront, startWorkerHttpFront } from '../../agent/worker/worker-http-front.js';
import { namespaceNodeIp } from '../../harness/netns/node-ip.js';

const PORT = 18290;
const RECORD = { userText: 'hi', agentText: 'Hello.', interrupted: false, userStoppedSpeakingAt: 1, endOfTurnMs: 600, firstAudioMs: 1200 };

describe('the worker HTTP front', () => {
  let front: WorkerHttpFront;
  let framework: Server | undefined;

  beforeAll(async () => {
    front = await startWorkerHttpFront({ port: PORT, metrics: new TurnMetrics({ stt: 'local', llm: 'openai', tts: 'cartesia' }) });
  });
  afterAll(async () => {
    await front?.close();
    await new Promise((r) => (framework ? framework.close(r) : r(undefined)));
  });

  const post = (body: string, host = '127.0.0.1') =>
    fetch(`http://${host}:${PORT}/internal/turn-records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('says the worker is not ready until the framework health server answers, then passes requests through', async () => {
    expect((await fetch(`http://127.0.0.1:${PORT}/`)).status).toBe(503);
    framework = createServer((req, res) => res.writeHead(200).end(`framework ${req.method} ${req.url}`));
    await new Promise<void>((r) => framework!.listen(front.internalPort, '127.0.0.1', () => r()));
    const res = await fetch(`http://127.0.0.1:${PORT}/worker?x=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('framework GET /worker?x=1');
  });

  it('turns posted records into Prometheus histograms labelled by provider', async () => {
    expect(front.recordsUrl).toBe(`http://127.0.0.1:${PORT}/internal/turn-records`);
    expect((await post(JSON.stringify(RECORD))).status).toBe(204);
    const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
    expect(text).toContain('voice_agent_turn_latency_seconds_count{stage="end_to_end",stt="local",llm="openai",tts="cartesia"} 1');
    expect(text).toContain('voice_agent_turn_latency_seconds_bucket{le="1.25",stage="end_to_end",stt="local",llm="openai",tts="cartesia"} 1');
    expect(text).toContain('voice_agent_turn_latency_seconds_bucket{le="1",stage="end_to_end",stt="local",llm="openai",tts="cartesia"} 0');
    expect(text).toContain('voice_agent_turn_latency_seconds_sum{stage="end_of_turn",stt="local",llm="openai",tts="cartesia"} 0.6');
    expect(text).not.toContain('stage="llm_ttft"'); // not measured in this record
  });

  it('rejects a malformed record', async () => {
    const res = await post(JSON.stringify({ ...RECORD, firstAudioMs: -5 }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('invalid turn record');
    expect((await post('not json')).status).toBe(400);
  });

  // Inside the test network namespace the veth address is a non-loopback peer.
  it.runIf(namespaceNodeIp())('takes records from loopback only', async () => {
    expect((await post(JSON.stringify(RECORD), namespaceNodeIp())).status).toBe(403);
  });
});
