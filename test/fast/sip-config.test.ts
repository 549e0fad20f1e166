import { describe, expect, it } from 'vitest';
import { loadSipConfig, parseSipConfig, SipConfigError } from '../../sip/sip-config.js';

const TRUNK = `
inboundTrunks:
  - name: line
    numbers: ["+15550100000"]
    allowedAddresses: ["192.0.2.0/24"]
`;

function refusal(text: string): string {
  try {
    parseSipConfig(text, 'trunks.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SipConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('the SIP provisioning file', () => {
  it('reads the shipped example, with its defaults filled in', () => {
    const cfg = loadSipConfig('infra/sip/trunks.yaml');
    expect(cfg.inboundTrunks.map((t) => t.name)).toEqual(['support-line']);
    expect(cfg.outboundTrunks[0]).toMatchObject({ name: 'carrier', transport: 'udp' });
    expect(cfg.dispatchRules[0]).toMatchObject({
      trunks: ['support-line'],
      room: { type: 'individual', prefix: 'call-' },
      agent: { name: 'voice-agent' },
    });
    expect(
      parseSipConfig(`${TRUNK}dispatchRules:\n  - { name: r, trunks: [line], agent: { name: a } }\n`, 'x').dispatchRules[0]!.room,
    ).toEqual({ type: 'individual', prefix: 'call-' });
  });

  it('names the key of each thing wrong with a file, and nothing else', () => {
    expect(refusal(TRUNK.replace('+15550100000', '5550100000'))).toBe(
      'trunks.yaml: invalid:\n  inboundTrunks.0.numbers.0: must be an E.164 number such as +15550100000',
    );
    expect(refusal(TRUNK.replace('192.0.2.0/24', '192.0.2.0/33'))).toMatch(
      /inboundTrunks\.0\.allowedAddresses\.0: must be an IP address or a CIDR range/,
    );
    expect(refusal(`${TRUNK}    password: hunter2\n`)).toMatch(/inboundTrunks\.0\.password: Unrecognized key/);
    expect(refusal('outboundTrunks:\n  - { name: c, address: "sip.example:port", numbers: ["+15550100000"] }\n')).toMatch(
      /outboundTrunks\.0\.address: must be host or host:port/,
    );
    expect(refusal(`${TRUNK}dispatchRules:\n  - { name: r, trunks: [other], agent: { name: a } }\n`)).toMatch(
      /dispatchRules\.0\.trunks\.0: no inbound trunk named 'other'/,
    );
    expect(refusal(`${TRUNK}  - name: line\n    numbers: ["+15550100001"]\n    allowedAddresses: ["192.0.2.1"]\n`)).toMatch(
      /inboundTrunks\.1\.name: 'line' is named twice/,
    );
    expect(refusal('inboundTrunks: [{ name: t, numbers: [a] }')).toMatch(/^trunks\.yaml: not valid YAML/);
  });

  it('never prints a password written into the file, however broken its line', () => {
    for (const auth of [
      'auth: { username: u, password: "hunter2-hunter2-hunter2',
      'auth: { username: u, password: hunter2-hunter2-hunter2 ]',
      'password: hunter2-hunter2-hunter2: x',
    ]) {
      const message = refusal(`${TRUNK}    ${auth}\n`);
      expect(message, auth).toMatch(/^trunks\.yaml: (not valid YAML|invalid)/);
      expect(message, auth).not.toContain('hunter2');
    }
  });

  it('refuses an inbound trunk that would take calls from anyone', () => {
    expect(refusal('inboundTrunks:\n  - { name: open, numbers: ["+15550100000"] }\n')).toMatch(
      /inboundTrunks\.0\.allowedAddresses: an inbound trunk open to any address and without auth/,
    );
    expect(
      parseSipConfig('inboundTrunks:\n  - { name: t, numbers: ["+15550100000"], auth: { username: u, passwordEnv: P } }\n', 'x')
        .inboundTrunks,
    ).toHaveLength(1);
  });

  it('takes passwords from the environment only, by a variable name', () => {
    expect(refusal('inboundTrunks:\n  - { name: t, numbers: ["+15550100000"], auth: { username: u, passwordEnv: "hunter2!" } }\n')).toMatch(
      /inboundTrunks\.0\.auth\.passwordEnv: must name an environment variable/,
    );
  });
});
