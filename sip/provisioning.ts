import {
  RoomAgentDispatch,
  RoomConfiguration,
  SIPDispatchRule,
  SIPDispatchRuleDirect,
  SIPDispatchRuleIndividual,
  SIPDispatchRuleInfo,
  SIPInboundTrunkInfo,
  SIPOutboundTrunkInfo,
  type SipClient,
} from 'livekit-server-sdk';
import { type DispatchRuleConfig, type InboundTrunkConfig, type OutboundTrunkConfig, passwordOf, type SipConfig } from './sip-config.js';

export type ItemKind = 'inbound trunk' | 'outbound trunk' | 'dispatch rule';
export type Action = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

export interface Change {
  kind: ItemKind;
  name: string;
  action: Action;
  id?: string;
}

const TRANSPORTS: Record<OutboundTrunkConfig['transport'], SIPOutboundTrunkInfo['transport']> = { auto: 0, udp: 1, tcp: 2, tls: 3 };

/** What livekit-server holds, by kind. */
interface SipState {
  inbound: SIPInboundTrunkInfo[];
  outbound: SIPOutboundTrunkInfo[];
  rules: SIPDispatchRuleInfo[];
}

async function readState(client: SipClient): Promise<SipState> {
  const [inbound, outbound, rules] = await Promise.all([
    client.listSipInboundTrunk(),
    client.listSipOutboundTrunk(),
    client.listSipDispatchRule(),
  ]);
  return { inbound, outbound, rules };
}

/** The one item of that name, if any; two of the same name cannot be told apart, so that is refused. */
function byName<T extends { name: string }>(items: T[], kind: ItemKind, name: string): T | undefined {
  const found = items.filter((i) => i.name === name);
  if (found.length > 1) throw new Error(`livekit-server holds ${found.length} ${kind}s named '${name}': delete the extra ones first`);
  return found[0];
}

/**
 * What an item should be: the existing one with the file's fields over it (so fields the file
 * does not manage, such as creation times, stay), or a new one.
 */
function desired<T extends { clone(): T; equals(other: T): boolean }>(
  existing: T | undefined,
  fresh: () => T,
  fields: Partial<T>,
): { item: T; same: boolean } {
  const item = existing ? existing.clone() : fresh();
  Object.assign(item, fields);
  return { item, same: existing !== undefined && item.equals(existing) };
}

function inboundFields(t: InboundTrunkConfig, index: number, env: NodeJS.ProcessEnv): Partial<SIPInboundTrunkInfo> {
  return {
    name: t.name,
    numbers: t.numbers,
    allowedAddresses: t.allowedAddresses,
    allowedNumbers: t.allowedNumbers,
    authUsername: t.auth?.username ?? '',
    authPassword: t.auth ? passwordOf(t.auth, `inboundTrunks.${index}.auth`, env) : '',
  };
}

function outboundFields(t: OutboundTrunkConfig, index: number, env: NodeJS.ProcessEnv): Partial<SIPOutboundTrunkInfo> {
  return {
    name: t.name,
    address: t.address,
    transport: TRANSPORTS[t.transport],
    numbers: t.numbers,
    authUsername: t.auth?.username ?? '',
    authPassword: t.auth ? passwordOf(t.auth, `outboundTrunks.${index}.auth`, env) : '',
  };
}

function ruleFields(r: DispatchRuleConfig, trunkIds: string[]): Partial<SIPDispatchRuleInfo> {
  const rule =
    r.room.type === 'individual'
      ? new SIPDispatchRule({
          rule: { case: 'dispatchRuleIndividual', value: new SIPDispatchRuleIndividual({ roomPrefix: r.room.prefix }) },
        })
      : new SIPDispatchRule({ rule: { case: 'dispatchRuleDirect', value: new SIPDispatchRuleDirect({ roomName: r.room.name }) } });
  const metadata = r.agent.metadata ? JSON.stringify(r.agent.metadata) : '';
  return {
    name: r.name,
    rule,
    trunkIds,
    numbers: r.numbers,
    attributes: r.attributes,
    roomConfig: new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: r.agent.name, metadata })] }),
  };
}

/**
 * Makes livekit-server hold what `config` describes: items are matched by name; what is missing is
 * created, what differs is updated, the rest is left alone (as are items the file does not name).
 * Running it twice changes nothing the second time.
 */
export async function applySipConfig(client: SipClient, config: SipConfig, env: NodeJS.ProcessEnv = process.env): Promise<Change[]> {
  // Every password is resolved before anything is changed: a missing one must not leave half a setup.
  const inboundWanted = config.inboundTrunks.map((t, i) => ({ t, fields: inboundFields(t, i, env) }));
  const outboundWanted = config.outboundTrunks.map((t, i) => ({ t, fields: outboundFields(t, i, env) }));
  const state = await readState(client);
  const changes: Change[] = [];
  const inboundIds = new Map<string, string>();

  for (const { t, fields } of inboundWanted) {
    const { item, same } = desired(byName(state.inbound, 'inbound trunk', t.name), () => new SIPInboundTrunkInfo(), fields);
    const saved = same
      ? item
      : item.sipTrunkId
        ? await client.updateSipInboundTrunk(item.sipTrunkId, item)
        : await client.createSipInboundTrunk(t.name, t.numbers, {
            allowedAddresses: t.allowedAddresses,
            allowedNumbers: t.allowedNumbers,
            authUsername: item.authUsername,
            authPassword: item.authPassword,
          });
    inboundIds.set(t.name, saved.sipTrunkId);
    changes.push({
      kind: 'inbound trunk',
      name: t.name,
      action: same ? 'unchanged' : item.sipTrunkId ? 'updated' : 'created',
      id: saved.sipTrunkId,
    });
  }

  for (const { t, fields } of outboundWanted) {
    const { item, same } = desired(byName(state.outbound, 'outbound trunk', t.name), () => new SIPOutboundTrunkInfo(), fields);
    const saved = same
      ? item
      : item.sipTrunkId
        ? await client.updateSipOutboundTrunk(item.sipTrunkId, item)
        : await client.createSipOutboundTrunk(t.name, t.address, t.numbers, {
            transport: item.transport,
            authUsername: item.authUsername,
            authPassword: item.authPassword,
          });
    changes.push({
      kind: 'outbound trunk',
      name: t.name,
      action: same ? 'unchanged' : item.sipTrunkId ? 'updated' : 'created',
      id: saved.sipTrunkId,
    });
  }

  for (const r of config.dispatchRules) {
    const fields = ruleFields(
      r,
      r.trunks.map((name) => inboundIds.get(name)!),
    );
    const { item, same } = desired(byName(state.rules, 'dispatch rule', r.name), () => new SIPDispatchRuleInfo(), fields);
    // A new rule is created whole, as an update of nothing: the SDK's create call cannot set `numbers`.
    const saved = same
      ? item
      : item.sipDispatchRuleId
        ? await client.updateSipDispatchRule(item.sipDispatchRuleId, item)
        : await createRule(client, item);
    changes.push({
      kind: 'dispatch rule',
      name: r.name,
      action: same ? 'unchanged' : item.sipDispatchRuleId ? 'updated' : 'created',
      id: saved.sipDispatchRuleId,
    });
  }
  return changes;
}

async function createRule(client: SipClient, info: SIPDispatchRuleInfo): Promise<SIPDispatchRuleInfo> {
  const individual = info.rule?.rule.case === 'dispatchRuleIndividual' ? info.rule.rule.value : undefined;
  const direct = info.rule?.rule.case === 'dispatchRuleDirect' ? info.rule.rule.value : undefined;
  const created = await client.createSipDispatchRule(
    individual ? { type: 'individual', roomPrefix: individual.roomPrefix } : { type: 'direct', roomName: direct!.roomName },
    { name: info.name, trunkIds: info.trunkIds, attributes: info.attributes, roomConfig: info.roomConfig },
  );
  if (info.numbers.length === 0) return created;
  const complete = created.clone();
  complete.numbers = info.numbers;
  return client.updateSipDispatchRule(created.sipDispatchRuleId, complete);
}

/** Deletes the items `config` names (rules first: they refer to the trunks); items it does not name stay. */
export async function deleteSipConfig(client: SipClient, config: SipConfig): Promise<Change[]> {
  const state = await readState(client);
  const changes: Change[] = [];
  for (const r of config.dispatchRules) {
    const found = byName(state.rules, 'dispatch rule', r.name);
    if (found) await client.deleteSipDispatchRule(found.sipDispatchRuleId);
    changes.push({ kind: 'dispatch rule', name: r.name, action: found ? 'deleted' : 'absent', id: found?.sipDispatchRuleId });
  }
  for (const [kind, items, wanted] of [
    ['inbound trunk', state.inbound, config.inboundTrunks],
    ['outbound trunk', state.outbound, config.outboundTrunks],
  ] as const) {
    for (const t of wanted) {
      const found = byName<{ name: string; sipTrunkId: string }>(items, kind, t.name);
      if (found) await client.deleteSipTrunk(found.sipTrunkId);
      changes.push({ kind, name: t.name, action: found ? 'deleted' : 'absent', id: found?.sipTrunkId });
    }
  }
  return changes;
}

/** What livekit-server holds, one line an item, passwords never shown. */
export async function describeSipState(client: SipClient): Promise<string[]> {
  const { inbound, outbound, rules } = await readState(client);
  const auth = (user: string) => (user ? `, auth ${user}:***` : '');
  const trunkNames = new Map(inbound.map((t) => [t.sipTrunkId, t.name]));
  return [
    ...inbound.map(
      (t) =>
        `inbound trunk  ${t.name} (${t.sipTrunkId}): numbers ${t.numbers.join(' ')}; from ${t.allowedAddresses.join(' ') || 'any address'}${auth(t.authUsername)}`,
    ),
    ...outbound.map(
      (t) => `outbound trunk ${t.name} (${t.sipTrunkId}): ${t.address}, numbers ${t.numbers.join(' ')}${auth(t.authUsername)}`,
    ),
    ...rules.map((r) => {
      const rule = r.rule?.rule;
      const room =
        rule?.case === 'dispatchRuleIndividual'
          ? `a room per call (${rule.value.roomPrefix}*)`
          : rule?.case === 'dispatchRuleDirect'
            ? `room ${rule.value.roomName}`
            : (rule?.case ?? 'no rule');
      const agents = r.roomConfig?.agents.map((a) => a.agentName).join(' ') || 'no agent';
      const trunks = r.trunkIds.map((id) => trunkNames.get(id) ?? id).join(' ');
      return `dispatch rule  ${r.name} (${r.sipDispatchRuleId}): trunks ${trunks}${r.numbers.length ? `, numbers ${r.numbers.join(' ')}` : ''} -> ${room}, agent ${agents}`;
    }),
  ];
}
