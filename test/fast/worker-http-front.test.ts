import { createServer, request, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnMetrics } from '../../agent/metrics/turn-metrics.js';
import {
  MAX_TURN_RECORD_BYTES,
  turnRecordSink,
  turnRecordsAuthorization,
  turnRecordsEnv,
} from '../../agent/metrics/turn-record-channel.js';
import { startWorkerHttpFront, type WorkerHttpFront } from '../../agent/worker/worker-http-front.js';
import { namespaceNodeIp } from '../../harness/netns/node-ip.js';

const PORT = 18290;
const RECORDS_URL = `http://127.0.0.1:${PORT}/internal/turn-records`;
const RECORD = { userText: 'hi', agentText: 'Hello.', interrupted: false, userStoppedSpeakingAt: 1, endOfTurnMs: 600, firstAudioMs: 1200 };
const END_TO_END_COUNT = /voice_agent_turn_latency_seconds_count\{stage="end_to_end"[^}]*\} (\d+)/;

const newMetrics = () => new TurnMetrics({ stt: 'local', llm: 'openai', tts: 'cartesia' });

/** A POST that may never finish its body; resolves with the status once the front answers, then drops the request. */
function postRaw(headers: Record<string, string | number>, body: Buffer, opts: { end: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, method: 'POST', path: '/internal/turn-records', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject); // a no-op once answered
    req.write(body);
    if (opts.end) req.end();
  });
}

describe('the worker HTTP front', () => {
  let front: WorkerHttpFront;
  let metrics: TurnMetrics;
  let framework: Server | undefined;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'fatal' });
    metrics = newMetrics();
    front = await startWorkerHttpFront({ port: PORT, host: '127.0.0.1', metrics });
  });
  afterAll(async () => {
    await front?.close();
    await new Promise((r) => (framework ? framework.close(r) : r(undefined)));
  });

  const post = (body: string, authorization = turnRecordsAuthorization(front.turnRecords.token)) =>
    fetch(RECORDS_URL, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  const endToEndCount = async () => Number((await metrics.render()).match(END_TO_END_COUNT)?.[1] ?? 0);

  it('says the worker is not ready until the framework health server answers, then passes requests through', async () => {
    expect((await fetch(`http://127.0.0.1:${PORT}/`)).status).toBe(503);
    framework = createServer((req, res) => res.writeHead(200).end(`framework ${req.method} ${req.url}`));
    await new Promise<void>((r) => framework!.listen(front.internalPort, '127.0.0.1', () => r()));
    const res = await fetch(`http://127.0.0.1:${PORT}/worker?x=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('framework GET /worker?x=1');
  });

  it('turns posted records into Prometheus histograms labelled by provider', async () => {
    expect(front.turnRecords.url).toBe(RECORDS_URL);
    expect((await post(JSON.stringify(RECORD))).status).toBe(204);
    const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
    expect(text).toContain('voice_agent_turn_latency_seconds_count{stage="end_to_end",stt="local",llm="openai",tts="cartesia"} 1');
    expect(text).toContain(
      'voice_agent_turn_latency_seconds_bucket{le="1.25",stage="end_to_end",stt="local",llm="openai",tts="cartesia"} 1',
    );
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

  it('takes records only with the token it handed its jobs, which is new at every start', async () => {
    const before = await endToEndCount();
    expect((await fetch(RECORDS_URL, { method: 'POST', body: JSON.stringify(RECORD) })).status).toBe(401);
    expect((await post(JSON.stringify(RECORD), 'Bearer forged')).status).toBe(401);
    expect((await post(JSON.stringify(RECORD), front.turnRecords.token)).status).toBe(401); // not as a bearer token
    expect(await endToEndCount()).toBe(before);

    const other = await startWorkerHttpFront({ port: PORT + 1, host: '127.0.0.1', metrics: newMetrics() });
    await other.close();
    expect(other.turnRecords.token).not.toBe(front.turnRecords.token);
    expect(front.turnRecords.token.length).toBeGreaterThanOrEqual(32);
  });

  it("sends a job's records with the token, from the variables the worker hands its jobs", async () => {
    expect(turnRecordSink(turnRecordsEnv({ url: RECORDS_URL, token: '' }))).toBeUndefined(); // no token, nothing sent
    const before = await endToEndCount();
    turnRecordSink(turnRecordsEnv(front.turnRecords))!(RECORD);
    await expect.poll(endToEndCount).toBe(before + 1);
  });

  it('answers 413 to a body over the limit without waiting for the rest of it', { timeout: 5000 }, async () => {
    const auth = { authorization: turnRecordsAuthorization(front.turnRecords.token), 'content-type': 'application/json' };
    // Announced: 200 MB, of which only the first kilobyte is ever sent.
    expect(await postRaw({ ...auth, 'content-length': 200_000_000 }, Buffer.alloc(1024, 32), { end: false })).toBe(413);
    // Unannounced (chunked): refused once it passes the limit, though the sender has not finished.
    expect(await postRaw(auth, Buffer.alloc(MAX_TURN_RECORD_BYTES + 1, 32), { end: false })).toBe(413);
    // Without the token nothing is read at all.
    expect(await postRaw({ 'content-length': 200_000_000 }, Buffer.alloc(1024, 32), { end: false })).toBe(401);
    // A record padded to just under the limit is still taken.
    const padded = JSON.stringify({ ...RECORD, userText: 'x'.repeat(MAX_TURN_RECORD_BYTES - 200) });
    expect(await postRaw(auth, Buffer.from(padded), { end: true })).toBe(204);
  });

  it('has its jobs post to loopback whatever it listens on, and listens on loopback alone when told to', async () => {
    const any = await startWorkerHttpFront({ port: PORT + 2, host: '0.0.0.0', metrics: newMetrics() });
    await any.close();
    expect(any.turnRecords.url).toBe(`http://127.0.0.1:${PORT + 2}/internal/turn-records`);
    // The test network namespace has no IPv6 loopback.
    if (networkInterfaces().lo?.some((a) => a.family === 'IPv6')) {
      const ipv6 = await startWorkerHttpFront({ port: PORT + 3, host: '::1', metrics: newMetrics() });
      await ipv6.close();
      expect(ipv6.turnRecords.url).toBe(`http://[::1]:${PORT + 3}/internal/turn-records`);
    }

    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (external) await expect(fetch(`http://${external}:${PORT}/metrics`)).rejects.toThrow();
  });

  // Inside the test network namespace the veth address is a non-loopback peer.
  it.runIf(namespaceNodeIp())('takes records from loopback only', async () => {
    const open = await startWorkerHttpFront({ port: PORT + 4, host: '0.0.0.0', metrics: newMetrics() });
    try {
      const res = await fetch(`http://${namespaceNodeIp()}:${PORT + 4}/internal/turn-records`, {
        method: 'POST',
        headers: { authorization: turnRecordsAuthorization(open.turnRecords.token) },
        body: JSON.stringify(RECORD),
      });
      expect(res.status).toBe(403);
    } finally {
      await open.close();
    }
  });
});
