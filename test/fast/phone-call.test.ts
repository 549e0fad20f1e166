import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { redactOutput } from '../../agent/logging/redacted-output.js';
import { keypadMessage } from '../../agent/session/phone/keypad-input.js';
import { phoneCallContext } from '../../agent/session/phone/phone-call.js';
import { redactNumber } from '../../contracts/phone-number.js';

/** A stream that keeps what is written to it, as a process's stdout. */
function capturedOutput(): { written: string[]; out: NodeJS.WriteStream } {
  const written: string[] = [];
  const out = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      written.push(chunk.toString());
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { written, out };
}

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'k', LIVEKIT_API_SECRET: 's' };

describe('a phone call, as the agent sees it', () => {
  it('shows numbers in logs by their last four digits only', () => {
    expect(redactNumber('+15550100001')).toBe('********0001');
    expect(redactNumber('tel:+15550100999')).toBe('************0999');
    expect(redactNumber('123')).toBe('****');
    expect(redactNumber(undefined)).toBeUndefined();
  });

  it("cuts every E.164 number a process writes (the framework's lines included) to its last four digits", () => {
    const { written, out } = capturedOutput();
    redactOutput({ transcripts: true }, out);
    redactOutput({ transcripts: true }, out); // once per process, however often it is installed
    out.write('{"lk.pii.participant_identity":"sip_+15550100001","msg":"x"}\n');
    out.write(Buffer.from('from +442071838750 to +15550100000\n'));
    expect(written.join('')).toBe('{"lk.pii.participant_identity":"sip_********0001","msg":"x"}\nfrom *********8750 to ********0000\n');
  });

  it('leaves what was said out of the logs unless transcripts are asked for, numbers cut either way', () => {
    const line =
      '{"lk.pii.transcript":"my number is +15550100001","userText":"say \\"hi\\" to me","agentText":"Hello!","turn":2,"msg":"x"}\n';
    const { written, out } = capturedOutput();
    redactOutput({ transcripts: false }, out);
    out.write(line);
    expect(JSON.parse(written.join(''))).toEqual({
      'lk.pii.transcript': '[redacted]',
      userText: '[redacted]',
      agentText: '[redacted]',
      turn: 2,
      msg: 'x',
    });
    expect(loadConfig(LIVEKIT).log.transcripts).toBe(false);
    expect(loadConfig({ ...LIVEKIT, LOG_TRANSCRIPTS: 'true' }).log.transcripts).toBe(true);
  });

  it('tells the LLM the caller is on the phone, and from where', () => {
    expect(phoneCallContext({ number: '+15550100001', dialled: '+15550100000' })).toMatch(
      /telephone, calling from \+15550100001 \(they dialled \+15550100000\)/,
    );
    expect(phoneCallContext({})).toMatch(/^The caller is on the telephone\./);
  });

  it('gives typed keys to the conversation as the caller would say them', () => {
    expect(keypadMessage('4729')).toBe('Keypad: 4 7 2 9');
    expect(keypadMessage('*0')).toBe('Keypad: * 0');
  });

  it('transfers only to a phone number or a SIP address, and says which key is wrong', () => {
    expect(loadConfig({ ...LIVEKIT, PHONE_TRANSFER_TO: 'tel:+15550100999' }).phone.transferTo).toBe('tel:+15550100999');
    expect(loadConfig({ ...LIVEKIT, PHONE_TRANSFER_TO: 'sip:desk@pbx.example.com' }).phone.transferTo).toBe('sip:desk@pbx.example.com');
    expect(() => loadConfig({ ...LIVEKIT, PHONE_TRANSFER_TO: '5550100999' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...LIVEKIT, PHONE_TRANSFER_TO: '5550100999' })).toThrow(
      /phone\.transferTo.*tel:\+<E\.164 number> or sip:user@host/s,
    );
    expect(loadConfig(LIVEKIT).phone).toEqual({ keypadPauseMs: 2000 });
  });
});
