import { describe, expect, it } from 'vitest';
import type { Compose } from '../support/compose-file.js';
import { composeRegionConfigs, k8sRegions, keyPaths, type LivekitConfig } from '../support/livekit-config.js';
import { listRepoFiles as listFiles, repoYaml as read, repoText as text } from '../support/repo-files.js';

/** livekit-server's configs: the one every test runs (infra/livekit/livekit.yaml) and the regions' (compose's, infra/k8s's), read offline. */
const compose = read('docker-compose.yml') as Compose;
const livekit = read('infra/livekit/livekit.yaml') as LivekitConfig;
const isLoopback = (address: string) => /^127\./.test(address) || address === '::1';

describe('infra/livekit/livekit.yaml', () => {
  it('listens on loopback only (and on the test namespace veth, which exists only there)', () => {
    expect(livekit.bind_addresses.length).toBeGreaterThan(0);
    for (const address of livekit.bind_addresses) expect(isLoopback(address), address).toBe(true);
    // ICE/TCP listens on every interface whatever else is set: it must be off.
    expect(livekit.rtc.tcp_port).toBe(0);
    // The UDP media port is opened on every interface unless an allowlist names them.
    const veth = /link add (\S+) type veth/.exec(text('harness/netns/run-in-netns.sh'))?.[1];
    expect(veth).toBeDefined();
    expect(livekit.rtc.interfaces?.includes?.length).toBeGreaterThan(0);
    for (const name of livekit.rtc.interfaces!.includes!) expect(['lo', veth]).toContain(name);
    expect(livekit.rtc).toMatchObject({ use_external_ip: false });
    expect(isLoopback(livekit.rtc.node_ip)).toBe(true);
    // docker-compose.yml mounts this file: only host networking keeps its loopback the host's.
    expect(compose.services.livekit!.volumes).toContain('./infra/livekit/livekit.yaml:/etc/livekit.yaml:ro');
    expect(compose.services.livekit!.network_mode).toBe('host');
  });
});

/**
 * Config keys livekit-server v1.13.5 knows (pkg/config/config.go and the structs it embeds) that the
 * region configs use beyond those of infra/livekit/livekit.yaml, which runs in every test. Parsing is
 * strict: any other key stops the server, so a key added to a region config must be checked there
 * first and then listed here.
 */
const LIVEKIT_KEYS_CHECKED = [
  'region',
  'node_selector.kind',
  'node_selector.sort_by',
  'node_selector.algorithm',
  'node_selector.sysload_limit',
  'node_selector.regions[].name',
  'node_selector.regions[].lat',
  'node_selector.regions[].lon',
  'prometheus_port',
  'log_level',
  'key_file',
  'turn.enabled',
  'logging.json',
];

const knownLivekitKeys = new Set([...keyPaths(livekit), ...LIVEKIT_KEYS_CHECKED]);
const k8sLivekitConfigs = k8sRegions().map((r) => `infra/k8s/overlays/${r}/livekit.yaml`);
const helmValues = listFiles('infra/k8s/helm', /\.yaml$/);

describe("livekit-server configs of the regions (compose's and infra/k8s's)", () => {
  const configs = [...composeRegionConfigs(), ...k8sLivekitConfigs].map((path) => ({ path, config: read(path) as LivekitConfig }));
  // The Helm chart writes its `livekit:` values into the config as they are.
  const helm = helmValues.map((path) => ({ path, config: (read(path) as { livekit: LivekitConfig }).livekit }));

  it('uses only keys livekit-server v1.13.5 knows (an unknown key is fatal)', () => {
    expect(configs.length).toBeGreaterThanOrEqual(4);
    for (const { path, config } of [...configs, ...helm]) {
      expect(
        keyPaths(config).filter((k) => !knownLivekitKeys.has(k)),
        path,
      ).toEqual([]);
    }
  });

  it('makes each node one of a multi-node, region-aware cluster that knows every region alike', () => {
    const regionLists = [...configs, ...helm].map(({ path, config }) => {
      // Redis is what turns multi-node mode on.
      expect(config.redis?.address, path).toMatch(/^[\w.-]+:\d+$/);
      expect(config.node_selector?.kind, path).toBe('regionaware');
      const regions = config.node_selector!.regions ?? [];
      // Without its own region in the list the server refuses to start.
      expect(
        regions.map((r) => r.name),
        path,
      ).toContain(config.region);
      return regions;
    });
    // The same names and coordinates everywhere, or nodes would disagree on which region is nearest.
    for (const list of regionLists) expect(list).toEqual(regionLists[0]);
    // Each k8s overlay is named after its region; each compose config file too.
    for (const { path, config } of configs) expect(path, config.region).toContain(`/${config.region}`);
    for (const { path, config } of helm) expect(path).toMatch(new RegExp(`-${config.region}\\.yaml$`));
  });
});
