import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { agentNameFromEnv, regionalAgentName } from '../../contracts/agent-name.js';
import { DEV_LIVEKIT_ENDPOINT, livekitApiUrl, livekitEndpointFromEnv } from '../../contracts/livekit-endpoint.js';
import { parseWorkerPresence, poolLoadsOf } from '../../contracts/pool-presence.js';
import { parseTurnLatencyRecord } from '../../contracts/turn-record.js';

describe('the shared facts', () => {
  it("name npm start's livekit-server as infra/livekit/livekit.yaml configures it", () => {
    const yaml = parseYaml(readFileSync(new URL('../../infra/livekit/livekit.yaml', import.meta.url), 'utf8')) as {
      port: number;
      bind_addresses: string[];
      keys: Record<string, string>;
    };
    const [apiKey, apiSecret] = Object.entries(yaml.keys)[0]!;
    expect(DEV_LIVEKIT_ENDPOINT).toEqual({ url: `ws://${yaml.bind_addresses[0]}:${yaml.port}`, apiKey, apiSecret });
  });

  it('map a signalling URL to the server API, TLS kept', () => {
    expect(livekitApiUrl('ws://127.0.0.1:7880')).toBe('http://127.0.0.1:7880');
    expect(livekitApiUrl('wss://lk.example.com')).toBe('https://lk.example.com');
    expect(livekitApiUrl('https://lk.example.com')).toBe('https://lk.example.com');
  });

  it('take the LiveKit endpoint and the agent name from the environment, blanks as unset', () => {
    expect(livekitEndpointFromEnv({ LIVEKIT_URL: 'wss://x', LIVEKIT_API_KEY: '' })).toEqual({ ...DEV_LIVEKIT_ENDPOINT, url: 'wss://x' });
    expect(agentNameFromEnv({})).toBe('voice-agent');
    expect(agentNameFromEnv({ AGENT_NAME: 'a', LIVEKIT_AGENT_NAME: '' })).toBe('a');
    expect(agentNameFromEnv({ AGENT_NAME: 'a', LIVEKIT_AGENT_NAME: 'a' })).toBe('a');
    expect(() => agentNameFromEnv({ AGENT_NAME: 'a', LIVEKIT_AGENT_NAME: 'b' })).toThrow('name different agents');
    expect(regionalAgentName('eu-west')).toBe('voice-agent-eu-west');
  });

  it('read a pool presence strictly and add up the pools', () => {
    const east = { agentName: 'voice-agent-us-east', activeCalls: 1, maxCalls: 4, available: true };
    expect(parseWorkerPresence(JSON.stringify(east))).toEqual(east);
    for (const bad of [
      '{',
      'null',
      '{"agentName":"","activeCalls":0,"available":true}',
      '{"agentName":"a","activeCalls":-1,"available":true}',
      '{"agentName":"a","activeCalls":0,"maxCalls":0,"available":true}',
    ])
      expect(parseWorkerPresence(bad), bad).toBeUndefined();
    const loads = poolLoadsOf([
      east,
      { ...east, activeCalls: 4 },
      { ...east, available: false },
      { agentName: 'b', activeCalls: 2, available: true },
    ]);
    expect(loads.get('voice-agent-us-east')).toEqual({ workers: 2, activeCalls: 6, freeCalls: 3 });
    expect(loads.get('b')).toEqual({ workers: 1, activeCalls: 2, freeCalls: Number.POSITIVE_INFINITY });
  });

  it("read a turn record's own fields only, and name the first bad one", () => {
    const record = { userText: 'hi', agentText: 'hello', interrupted: false, userStoppedSpeakingAt: 1, firstAudioMs: 420 };
    expect(parseTurnLatencyRecord({ ...record, level: 30, msg: 'turn latency' })).toEqual({ record });
    expect(parseTurnLatencyRecord({ ...record, firstAudioMs: -1 })).toEqual({ error: 'firstAudioMs: a duration in ms, 0 or more' });
    expect(parseTurnLatencyRecord({ ...record, interrupted: 'no' })).toEqual({ error: 'interrupted: true or false' });
  });
});
