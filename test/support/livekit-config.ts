import { readdirSync } from 'node:fs';
import { listRepoFiles, REPO_ROOT } from './repo-files.js';

/** What the deployment tests read of a livekit-server config. */
export interface LivekitConfig {
  port: number;
  bind_addresses: string[];
  keys: Record<string, string>;
  redis: { address: string };
  region?: string;
  node_selector?: { kind: string; regions?: { name: string; lat: number; lon: number }[] };
  rtc: { tcp_port?: number; udp_port?: number; interfaces?: { includes?: string[] }; use_external_ip: boolean; node_ip: string };
}

/** The key paths of a config (`rtc.interfaces.includes`, `node_selector.regions[].name`); `keys` holds names, not keys. */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => (item && typeof item === 'object' ? keyPaths(item, `${prefix}[]`) : []));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const nested = path === 'keys' ? [] : keyPaths(v, path);
    return nested.length ? nested : [path];
  });
}

/** The region configs compose's cluster mounts. */
export const composeRegionConfigs = () => listRepoFiles('infra/livekit/regions', /\.yaml$/);
/** The regions infra/k8s has an overlay for. */
export const k8sRegions = () => readdirSync(`${REPO_ROOT}/infra/k8s/overlays`).sort();
