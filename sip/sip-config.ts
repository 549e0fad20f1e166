import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { SecretValues } from '../agent/config/config-secrets.js';
import { ConfigTextError, parseConfigText } from '../agent/config/config-text.js';
import { E164_NUMBER } from '../contracts/phone-number.js';

/** A SIP provisioning file the tool cannot apply; the message names each offending key. */
export class SipConfigError extends Error {
  override name = 'SipConfigError';
}

const e164 = z.string().regex(E164_NUMBER, 'must be an E.164 number such as +15550100000');
const name = z.string().min(1).max(100);
/** An IPv4/IPv6 address or a CIDR range: where a carrier's signalling may come from. */
const addressOrRange = z.string().refine((v) => {
  const [ip, bits, ...rest] = v.split('/');
  const family = isIP(ip ?? '');
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}, 'must be an IP address or a CIDR range such as 192.0.2.0/24');

/** Digest authentication; the password comes from the environment, never from the file. */
const auth = z
  .object({
    username: z.string().min(1),
    passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable, such as SIP_INBOUND_PASSWORD'),
  })
  .strict();

const inboundTrunk = z
  .object({
    name,
    /** The numbers this trunk answers for. */
    numbers: z.array(e164).min(1),
    /** Where the carrier's calls come from. */
    allowedAddresses: z.array(addressOrRange).default([]),
    /** Caller numbers let through; empty lets any caller through. */
    allowedNumbers: z.array(e164).default([]),
    auth: auth.optional(),
  })
  .strict()
  .refine((t) => t.allowedAddresses.length > 0 || t.auth !== undefined, {
    message: 'an inbound trunk open to any address and without auth would take calls from anyone: set allowedAddresses or auth',
    path: ['allowedAddresses'],
  });

const outboundTrunk = z
  .object({
    name,
    /** The carrier's SIP address, host[:port]. */
    address: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be host or host:port'),
    transport: z.enum(['auto', 'udp', 'tcp', 'tls']).default('auto'),
    /** Caller IDs the agent may call from. */
    numbers: z.array(e164).min(1),
    auth: auth.optional(),
  })
  .strict();

const dispatchRule = z
  .object({
    name,
    /** Inbound trunks (by name) whose calls this rule takes. */
    trunks: z.array(name).min(1),
    /** Called numbers this rule takes; empty: any number of its trunks. */
    numbers: z.array(e164).default([]),
    /** `individual`: a new room per call, named with this prefix; `direct`: every call into one room. */
    room: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('individual'), prefix: z.string().min(1) }).strict(),
        z.object({ type: z.literal('direct'), name: z.string().min(1) }).strict(),
      ])
      .default({ type: 'individual', prefix: 'call-' }),
    /** The agent dispatched into the call's room, and the metadata its job receives. */
    agent: z.object({ name, metadata: z.record(z.unknown()).optional() }).strict(),
    /** Attributes set on the caller's participant. */
    attributes: z.record(z.string()).default({}),
  })
  .strict();

const sipConfigSchema = z
  .object({
    inboundTrunks: z.array(inboundTrunk).default([]),
    outboundTrunks: z.array(outboundTrunk).default([]),
    dispatchRules: z.array(dispatchRule).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const key of ['inboundTrunks', 'outboundTrunks', 'dispatchRules'] as const) {
      const seen = new Set<string>();
      cfg[key].forEach((item, i) => {
        if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `'${item.name}' is named twice` });
        seen.add(item.name);
      });
    }
    const inbound = new Set(cfg.inboundTrunks.map((t) => t.name));
    cfg.dispatchRules.forEach((rule, i) => {
      rule.trunks.forEach((trunk, j) => {
        if (!inbound.has(trunk))
          ctx.addIssue({ code: 'custom', path: ['dispatchRules', i, 'trunks', j], message: `no inbound trunk named '${trunk}'` });
      });
    });
  });

export type SipConfig = z.infer<typeof sipConfigSchema>;
export type InboundTrunkConfig = SipConfig['inboundTrunks'][number];
export type OutboundTrunkConfig = SipConfig['outboundTrunks'][number];
export type DispatchRuleConfig = SipConfig['dispatchRules'][number];

/** Parses a provisioning file's text (YAML or JSON); `origin` names it in errors. */
export function parseSipConfig(text: string, origin: string): SipConfig {
  // Passwords belong in the environment (passwordEnv), but one written into the file must not be
  // printed back, however broken the line it is on.
  const secrets = new SecretValues();
  let doc: unknown;
  try {
    doc = parseConfigText(text, secrets, `${origin}: not valid YAML`);
  } catch (e) {
    if (e instanceof ConfigTextError) throw new SipConfigError(secrets.redact(e.message));
    throw e;
  }
  const parsed = sipConfigSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')).join(', ') : i.path.join('.');
      return `  ${keys || '(root)'}: ${i.message}`;
    });
    throw new SipConfigError(secrets.redact(`${origin}: invalid:\n${issues.join('\n')}`));
  }
  return parsed.data;
}

export function loadSipConfig(path: string): SipConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SipConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSipConfig(text, path);
}

/** The password an `auth` block names, from `env`; the error names the key, never a value. */
export function passwordOf(a: z.infer<typeof auth>, key: string, env: NodeJS.ProcessEnv): string {
  const password = env[a.passwordEnv];
  if (!password) throw new SipConfigError(`${key}.passwordEnv: ${a.passwordEnv} is not set`);
  return password;
}
