/** A compose file as the deployment tests read it (no Docker engine here: its meaning, offline). */
export interface Service {
  build?: { context: string; dockerfile: string; target?: string };
  image?: string;
  volumes?: string[];
  command?: string[];
  depends_on?: unknown;
  network_mode?: string;
  restart?: string;
  stop_grace_period?: string;
  environment?: Record<string, string>;
}
export interface Compose {
  services: Record<string, Service>;
}

/** Compose's variable substitution, for the forms docker-compose.yml uses: `${NAME}`, `${NAME:-default}`, `${NAME-default}`. */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}/g, (_, name: string, colon: string, fallback?: string) => {
    const set = env[name];
    if (fallback === undefined) return set ?? '';
    return set === undefined || (colon === ':' && set === '') ? fallback : set;
  });
}

/** The environment a service's container gets, with the variables of the shell (or .env) `env`. */
export function serviceEnv(service: Service, env: Record<string, string> = {}): Record<string, string> {
  const raw = service.environment ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v), env)]));
}

/** The file a service mounts at `target` (a `./host:target[:ro]` volume). */
export function mountedAt(service: Service, target: string): string | undefined {
  const volume = (service.volumes ?? []).find((v) => v.split(':')[1] === target);
  return volume?.split(':')[0]?.replace(/^\.\//, '');
}
