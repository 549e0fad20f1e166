import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Placement } from '../../placement/index.js';
import { webConfigFrom } from '../../web/server/config.js';
import { startWebFront, type WebFront } from '../../web/server/web-front.js';
import { postCall } from '../support/call-request.js';

const LIVEKIT = { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', apiSecret: 'a-secret-of-at-least-32-characters-long' };

/** The page's server: the files it was built with, and calls that dispatch the agent. */
describe('the web front', () => {
  let front: WebFront;
  // No livekit-server here: the token is all that is checked (the room watch finds no room and gives up with the test).
  const placement = Placement.single(LIVEKIT, 'front-desk', { agentDeadlineMs: 8000 });
  let pageDir: string;
  beforeAll(async () => {
    pageDir = mkdtempSync(join(tmpdir(), 'web-page-'));
    writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(pageDir, 'app.js'), 'export {};');
    front = await startWebFront({ host: '127.0.0.1', port: 0, placement, pageDir, callsPerMinute: 0 });
  });
  afterAll(async () => {
    await front?.close();
    await placement.close();
  });
  const at = (path: string, init?: RequestInit) => fetch(new URL(path, front.url), init);

  it('serves the page it was built with, and nothing else of the disk', async () => {
    const page = await at('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await at('/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of ['/package.json', '/../package.json', '/%2e%2e/package.json', '/web/server/web-front.ts']) {
      expect((await at(path)).status, path).toBe(404);
    }
  });

  it("places a call: a room of the caller's own, and a token that joins it and dispatches the agent", async () => {
    const placed = async () => {
      const res = await at('/api/call', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      return (await res.json()) as { url: string; token: string; room: string; region: string };
    };
    const [first, second] = [await placed(), await placed()];
    expect(first.url).toBe(LIVEKIT.url);
    expect(first.region).toBe('default');
    expect(first.room).not.toBe(second.room);
    const claims = await new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret).verify(first.token);
    expect(claims.video?.room).toBe(first.room);
    expect(claims.video?.roomJoin).toBe(true);
    expect(claims.roomConfig?.agents?.map((a) => a.agentName)).toEqual(['front-desk']);
  });

  it('refuses what is not a call request', async () => {
    expect((await at('/api/call')).status).toBe(405);
    const json = { 'content-type': 'application/json' };
    const notJson = await at('/api/call', { method: 'POST', headers: json, body: 'region=us-east' });
    expect(notJson.status).toBe(400);
    const unknown = await at('/api/call', { method: 'POST', headers: json, body: JSON.stringify({ region: 'mars-north' }) });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown region 'mars-north': one of default/);
    const huge = await at('/api/call', { method: 'POST', headers: json, body: 'x'.repeat(10_000) });
    expect(huge.status).toBe(413);
    expect((await at('/', { method: 'DELETE' })).status).toBe(405);
  });

  it('places calls for its own pages only: by a name it is known by, from its origin, declared JSON', async () => {
    const { host } = new URL(front.url);
    const json = { host, 'content-type': 'application/json' };
    expect((await postCall(front.url, json)).status).toBe(200);
    expect((await postCall(front.url, { ...json, host: `localhost:${new URL(front.url).port}` })).status).toBe(200);
    expect((await postCall(front.url, { ...json, origin: `http://${host}` })).status).toBe(200);
    // DNS rebinding: a page of evil.example whose name now resolves here.
    const rebound = await postCall(front.url, { ...json, host: 'evil.example', origin: 'http://evil.example' });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('token');
    expect((await postCall(front.url, { ...json, origin: 'http://evil.example' })).status).toBe(403);
    // A cross-site form or text/plain POST, which a browser sends without asking first.
    expect((await postCall(front.url, { host, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await postCall(front.url, { host, 'content-type': 'application/x-www-form-urlencoded' }, { body: 'region=x' })).status).toBe(
      415,
    );
  });

  it('takes the names, sites and secret it is told to, and a few calls a minute per address', async () => {
    const guarded = await startWebFront({
      host: '127.0.0.1',
      port: 0,
      placement,
      pageDir,
      callGuard: { allowedHosts: ['call.example.com'], allowedOrigins: ['https://app.example.com'], secret: 'a-shared-secret-1234' },
      callsPerMinute: 6,
    });
    try {
      const call = { host: 'call.example.com', origin: 'https://app.example.com', 'content-type': 'application/json' };
      expect((await postCall(guarded.url, call)).status).toBe(401);
      expect((await postCall(guarded.url, { ...call, authorization: 'Bearer wrong-secret-of-some-length' })).status).toBe(401);
      const signed = { ...call, authorization: 'Bearer a-shared-secret-1234' };
      expect((await postCall(guarded.url, signed)).status).toBe(200);
      expect((await postCall(guarded.url, { ...signed, origin: 'https://other.example.com' })).status).toBe(403);
      // A burst of two from one address, then one every 10 s; another address is not held back.
      expect((await postCall(guarded.url, signed)).status).toBe(200);
      const third = await postCall(guarded.url, signed);
      expect(third.status).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect((await postCall(guarded.url, signed, { localAddress: '127.0.0.2' })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('names each bad setting without showing its value, and takes either agent name variable', () => {
    const env = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'hunter2-hunter2' };
    expect(webConfigFrom({ ...env, LIVEKIT_AGENT_NAME: 'front-desk' }, 'voice-agent').agentName).toBe('front-desk');
    expect(webConfigFrom(env, 'voice-agent')).toMatchObject({ agentName: 'voice-agent', host: '127.0.0.1', port: 3000 });
    const error = (() => {
      try {
        webConfigFrom({ LIVEKIT_URL: 'hunter2-hunter2', LIVEKIT_API_SECRET: '', WEB_PORT: '99999' }, 'voice-agent');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected an error');
    })();
    expect(error).toMatch(/LIVEKIT_URL/);
    expect(error).toMatch(/LIVEKIT_API_KEY: required/);
    expect(error).toMatch(/LIVEKIT_API_SECRET: required/);
    expect(error).toMatch(/WEB_PORT/);
    expect(error).not.toContain('hunter2');
    expect(() => webConfigFrom({ ...env, LIVEKIT_AGENT_NAME: 'a', AGENT_NAME: 'b' }, 'voice-agent')).toThrow(/different agents/);
    // A URL every caller is handed may not carry credentials.
    expect(() => webConfigFrom({ ...env, LIVEKIT_URL: 'wss://admin:hunter2@lk.example.com' }, 'voice-agent')).toThrow(
      /LIVEKIT_URL: must not hold user:password@/,
    );
  });
});
