import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_HTTP_PORT } from '../../agent/config/schema.js';

/**
 * docker-compose.yml cannot be run here (no Docker engine): what can be checked offline is that
 * its services agree with each other and with the configs they mount.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => parse(readFileSync(`${root}/${path}`, 'utf8'));
const compose = read('docker-compose.yml') as { services: Record<string, { volumes?: string[]; command?: string[]; depends_on?: unknown }> };
const livekit = read('infra/livekit/livekit.yaml') as { port: number; keys: Record<string, string>; redis: { address: string } };
const sip = read('infra/sip/sip.yaml') as Record<string, unknown> & { redis: { address: string } };

describe('docker-compose.yml', () => {
  it('mounts only files that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const host = volume.split(':')[0]!;
        if (host.startsWith('./')) expect(existsSync(`${root}/${host}`), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('runs Redis where livekit-server and livekit-sip look for it', () => {
    const port = compose.services.redis!.command![compose.services.redis!.command!.indexOf('--port') + 1];
    expect(livekit.redis.address).toBe(`127.0.0.1:${port}`);
    expect(sip.redis.address).toBe(livekit.redis.address);
  });

  it('gives livekit-sip the server, keys and addresses it needs, on loopback', () => {
    expect(compose.services.sip!.volumes).toContain('./infra/sip/sip.yaml:/sip/config.yaml:ro');
    const [key, secret] = Object.entries(livekit.keys)[0]!;
    expect(sip).toMatchObject({ api_key: key, api_secret: secret, ws_url: `ws://127.0.0.1:${livekit.port}`, listen_ip: '127.0.0.1', nat_1_to_1_ip: '127.0.0.1' });
    // Its health port must not take the agent worker's.
    expect(sip.health_port).not.toBe(DEFAULT_WORKER_HTTP_PORT);
    expect(String(sip.rtp_port)).toMatch(/^\d+-\d+$/);
  });
});
