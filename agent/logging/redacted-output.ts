import { E164_NUMBER, redactNumber } from '../../contracts/phone-number.js';

const E164_ANYWHERE = new RegExp(E164_NUMBER.source.slice(1, -1), 'g');
/**
 * A JSON string field holding what a caller or the agent said: the framework logs those under
 * `lk.pii.*` keys (transcripts, messages, participant identities), our turn records as `userText`
 * and `agentText`.
 */
const SPOKEN_TEXT_FIELD = /"(lk\.pii\.[\w.]+|userText|agentText)":"(?:[^"\\]|\\.)*"/g;
const REDACTING = Symbol.for('voice-agent.redacted-output');

export interface OutputRedaction {
  /** Keep what callers and the agent said in the log (for debugging); otherwise it is cut out. */
  transcripts: boolean;
}

/** One chunk of output as the log may keep it. */
export function redactLine(text: string, opts: OutputRedaction): string {
  const numbersCut = text.replace(E164_ANYWHERE, (n) => redactNumber(n)!);
  return opts.transcripts ? numbersCut : numbersCut.replace(SPOKEN_TEXT_FIELD, (_field, key: string) => `"${key}":"[redacted]"`);
}

/**
 * Redacts everything this process writes to its standard output, where its logs go: every phone
 * number is cut to its last four digits (livekit-sip makes participant identities from the caller's
 * number, `sip_+15550100001`, and the framework logs them), and unless `transcripts` what was said
 * is left out. Installed once per process: the worker and each job process.
 */
export function redactOutput(opts: OutputRedaction, stream: NodeJS.WriteStream = process.stdout): void {
  if ((stream as { [REDACTING]?: boolean })[REDACTING]) return;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  (stream as { [REDACTING]?: boolean })[REDACTING] = true;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(
      typeof chunk === 'string'
        ? redactLine(chunk, opts)
        : Buffer.isBuffer(chunk)
          ? Buffer.from(redactLine(chunk.toString('utf8'), opts))
          : chunk,
      ...rest,
    )) as typeof stream.write;
}
