import { readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { hasUserInfo, LIVEKIT_URL_USER_INFO_REFUSED } from '../contracts/livekit-endpoint.js';

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, e.g. us-east');
const urlWith = (schemes: string[]) =>
  z
    .string()
    .url()
    .refine((u) => schemes.includes(new URL(u).protocol.slice(0, -1)), `a ${schemes.map((s) => `${s}://`).join(' or ')} URL`)
    .refine((u) => !hasUserInfo(u), LIVEKIT_URL_USER_INFO_REFUSED);
const cidr = z.string().refine((c) => {
  const [address, bits, rest] = c.split('/');
  const max = isIPv4(address ?? '') ? 32 : isIPv6(address ?? '') ? 128 : -1;
  return rest === undefined && /^\d+$/.test(bits ?? '') && Number(bits) <= max;
}, 'an address block such as 203.0.113.0/24');

const regionSchema = z
  .object({
    name: regionName,
    /** The region's livekit-server as callers reach it. */
    livekitUrl: urlWith(['ws', 'wss', 'http', 'https']),
    /** Where this service reaches the region's server API, when not at `livekitUrl` (e.g. a cluster-internal name). */
    apiUrl: urlWith(['ws', 'wss', 'http', 'https']).optional(),
    /** The agent name the region's worker pool registers (AGENT_NAME). */
    agentName: z.string().min(1),
    /** Caller addresses near this region. */
    clientNetworks: z.array(cidr).default([]),
  })
  .strict();
export type Region = z.infer<typeof regionSchema>;

const regionsFileSchema = z
  .object({
    regions: z.array(regionSchema).min(1),
    /** Measured round trips between regions, in ms, either way round; nearest-first order comes from them. */
    roundTripMs: z.record(regionName, z.record(regionName, z.number().nonnegative())).default({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    for (const [i, r] of file.regions.entries()) {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['regions', i, 'name'], message: `region ${r.name} is listed twice` });
      names.add(r.name);
    }
    for (const [from, to] of Object.entries(file.roundTripMs)) {
      for (const name of [from, ...Object.keys(to)]) {
        if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['roundTripMs', from], message: `${name} is not a listed region` });
      }
    }
  });

/** Where a caller is taken to be, and how that was decided. */
export interface CallerRegion {
  region: string;
  from: 'hint' | 'address' | 'default';
}

/**
 * The regions calls can be placed in: each a livekit-server (node) and a worker pool registered
 * under the region's agent name, and the distances between them.
 */
export class Regions {
  readonly #byName: Map<string, Region>;
  readonly #networks: { region: string; block: BlockList }[];

  private constructor(
    readonly list: readonly Region[],
    private readonly roundTripMs: Record<string, Record<string, number>>,
  ) {
    this.#byName = new Map(list.map((r) => [r.name, r]));
    this.#networks = list.map((r) => {
      const block = new BlockList();
      for (const c of r.clientNetworks) {
        const [address, bits] = c.split('/') as [string, string];
        block.addSubnet(address, Number(bits), isIPv6(address) ? 'ipv6' : 'ipv4');
      }
      return { region: r.name, block };
    });
  }

  /** One region: a single livekit-server and its worker pool (no regions file). */
  static single(livekitUrl: string, agentName: string): Regions {
    return new Regions([{ name: 'default', livekitUrl, agentName, clientNetworks: [] }], {});
  }

  /** The regions file at `path` (PLACEMENT_REGIONS); an error names each bad entry. */
  static read(path: string): Regions {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`regions file ${path}: ${(e as Error).message}`);
    }
    return Regions.parse(raw, `regions file ${path}`);
  }

  /** Regions as a regions file holds them (`source` names it in errors). */
  static parse(raw: unknown, source: string): Regions {
    const parsed = regionsFileSchema.safeParse(raw);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
      throw new Error(`${source} is invalid:\n${lines.join('\n')}`);
    }
    return new Regions(parsed.data.regions, parsed.data.roundTripMs);
  }

  get(name: string): Region | undefined {
    return this.#byName.get(name);
  }

  /**
   * The caller's region: the one it asked for (an unknown name is an error, not a silent default),
   * else the one whose client networks hold its address, else the first listed.
   */
  callerRegion(hint: string | undefined, address: string | undefined): CallerRegion {
    if (hint !== undefined) {
      if (!this.#byName.has(hint))
        throw new UnknownRegionError(
          hint,
          this.list.map((r) => r.name),
        );
      return { region: hint, from: 'hint' };
    }
    const plain = address?.replace(/^::ffff:/, '');
    if (plain) {
      const family = isIPv6(plain) ? 'ipv6' : isIPv4(plain) ? 'ipv4' : undefined;
      const near = family && this.#networks.find((n) => n.block.check(plain, family));
      if (near) return { region: near.region, from: 'address' };
    }
    return { region: this.list[0]!.name, from: 'default' };
  }

  /** Every region, nearest to `from` first (itself, then by round trip; unmeasured ones last, in file order). */
  nearestFirst(from: string): Region[] {
    const rtt = (to: string) =>
      to === from ? 0 : (this.roundTripMs[from]?.[to] ?? this.roundTripMs[to]?.[from] ?? Number.POSITIVE_INFINITY);
    return [...this.list].sort((a, b) => rtt(a.name) - rtt(b.name));
  }
}

/** A caller asked for a region that is not one of ours. */
export class UnknownRegionError extends Error {
  constructor(asked: string, known: string[]) {
    super(`unknown region '${asked.slice(0, 64)}': one of ${known.join(', ')}`);
  }
}
