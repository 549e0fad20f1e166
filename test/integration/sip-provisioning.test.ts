import { spawn } from 'node:child_process';
import { SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livekitApiUrl } from '../../contracts/livekit-endpoint.js';
import { LocalStack } from '../../harness/stack/local-stack.js';
import { applySipConfig, deleteSipConfig, describeSipState } from '../../sip/provisioning.js';
import { loadSipConfig, parseSipConfig } from '../../sip/sip-config.js';

const ENV = { SIP_INBOUND_PASSWORD: 'in-secret', SIP_OUTBOUND_PASSWORD: 'out-secret' };

/** Provisioning as code against livekit-server, which keeps SIP trunks and dispatch rules in its Redis. */
describe('SIP provisioning', () => {
  let stack: LocalStack;
  let client: SipClient;
  const config = loadSipConfig('infra/sip/trunks.yaml');

  beforeAll(async () => {
    stack = await LocalStack.start({ logDir: '.run/test-logs/sip-provisioning' });
    client = new SipClient(livekitApiUrl(stack.livekit.url), stack.livekit.apiKey, stack.livekit.apiSecret);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('creates the trunks and rules of a file, and a second apply changes nothing', async () => {
    const first = await applySipConfig(client, config, ENV);
    expect(first.map((c) => `${c.kind} ${c.name} ${c.action}`)).toEqual([
      'inbound trunk support-line created',
      'outbound trunk carrier created',
      'dispatch rule support-line-agent created',
    ]);
    const [inbound] = await client.listSipInboundTrunk();
    expect(inbound).toMatchObject({
      name: 'support-line',
      numbers: ['+15550100000'],
      allowedAddresses: ['192.0.2.0/24'],
      authUsername: 'voice-agent',
      authPassword: 'in-secret',
    });
    const [rule] = await client.listSipDispatchRule();
    expect(rule).toMatchObject({
      name: 'support-line-agent',
      trunkIds: [inbound!.sipTrunkId],
      numbers: ['+15550100000'],
      attributes: { line: 'support' },
    });
    expect(rule!.roomConfig?.agents.map((a) => [a.agentName, JSON.parse(a.metadata)])).toEqual([['voice-agent', { line: 'support' }]]);

    const second = await applySipConfig(client, config, ENV);
    expect(second.map((c) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(second.map((c) => c.id)).toEqual(first.map((c) => c.id));
  });

  it('updates what the file changed, in place, and leaves what it does not name alone', async () => {
    await client.createSipInboundTrunk('someone-elses', ['+15550100099'], { allowedAddresses: ['198.51.100.7'] });
    const changed = parseSipConfig(
      JSON.stringify({ ...config, inboundTrunks: [{ ...config.inboundTrunks[0], numbers: ['+15550100000', '+15550100001'] }] }),
      'changed',
    );
    const changes = await applySipConfig(client, changed, { ...ENV, SIP_OUTBOUND_PASSWORD: 'rotated' });
    expect(changes.map((c) => c.action)).toEqual(['updated', 'updated', 'unchanged']);
    const trunks = await client.listSipInboundTrunk();
    expect(trunks.map((t) => t.name).sort()).toEqual(['someone-elses', 'support-line']);
    expect(trunks.find((t) => t.name === 'support-line')!.numbers).toEqual(['+15550100000', '+15550100001']);
    expect((await client.listSipOutboundTrunk())[0]!.authPassword).toBe('rotated');
  });

  it('says why livekit-server refused a request, without the signed token it refused', async () => {
    const sip = spawn(process.execPath, ['--import', 'tsx', 'sip/cli.ts', 'list'], {
      env: {
        ...process.env,
        LIVEKIT_URL: stack.livekit.url,
        LIVEKIT_API_KEY: stack.livekit.apiKey,
        LIVEKIT_API_SECRET: 'not-the-secret-of-this-server',
      },
    });
    let stderr = '';
    sip.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => sip.on('exit', resolve));
    console.log(JSON.stringify({ code, stderr }));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^sip: livekit-server at http:\/\/[^ ]+: /);
    expect(stderr).not.toMatch(/eyJ[\w-]*\./);
  });

  it('lists what is there without its passwords, and deletes what the file names', async () => {
    const listing = (await describeSipState(client)).join('\n');
    expect(listing).toContain('support-line');
    expect(listing).toContain('voice-agent:***');
    expect(listing).not.toMatch(/in-secret|rotated/);
    const deleted = await deleteSipConfig(client, config);
    expect(deleted.map((c) => c.action)).toEqual(['deleted', 'deleted', 'deleted']);
    expect((await client.listSipInboundTrunk()).map((t) => t.name)).toEqual(['someone-elses']);
    expect(await client.listSipDispatchRule()).toEqual([]);
  });
});
