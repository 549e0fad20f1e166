import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const DEFAULT_LIVEKIT_CONFIG = fileURLToPath(new URL('../livekit/livekit.yaml', import.meta.url));
const DEFAULT_BINARY = fileURLToPath(new URL('../../.tools/bin/livekit-server', import.meta.url));

export interface LivekitServerOptions {
  configPath?: string;
  /** Signalling port; RTC TCP and UDP use the next two. */
  port?: number;
  /** Address the signalling (HTTP/WebSocket) server binds to. */
  host?: string;
  /**
   * Address advertised in ICE candidates. libwebrtc ignores loopback interfaces, so WebRTC clients
   * need a non-loopback address: tests use the veth address of their network namespace.
   */
  nodeIp?: string;
  logFile?: string;
  binary?: string;
}

export interface RunningLivekitServer {
  url: string;
  apiKey: string;
  apiSecret: string;
  process: ChildProcess;
  /** SIGTERM, and SIGKILL after `graceMs`: a first SIGTERM waits for every participant to leave. */
  stop(graceMs?: number): Promise<void>;
}

interface LivekitYaml {
  port: number;
  bind_addresses: string[];
  keys: Record<string, string>;
  rtc: { tcp_port: number; udp_port: number; node_ip: string };
}

/** Runs livekit-server from `.tools/bin` (see infra/install.sh) and waits until it answers HTTP. */
export async function startLivekitServer(opts: LivekitServerOptions = {}): Promise<RunningLivekitServer> {
  const binary = opts.binary ?? process.env.LIVEKIT_SERVER_BIN ?? DEFAULT_BINARY;
  if (!existsSync(binary)) throw new Error(`livekit-server not found at ${binary}: run infra/install.sh`);
  const config = parseYaml(readFileSync(opts.configPath ?? DEFAULT_LIVEKIT_CONFIG, 'utf8')) as LivekitYaml;
  if (opts.port) {
    config.port = opts.port;
    config.rtc.tcp_port = opts.port + 1;
    config.rtc.udp_port = opts.port + 2;
  }
  if (opts.host) config.bind_addresses = [opts.host];
  if (opts.nodeIp) config.rtc.node_ip = opts.nodeIp;
  const dir = await mkdtemp(join(tmpdir(), 'livekit-'));
  const configFile = join(dir, 'livekit.yaml');
  writeFileSync(configFile, stringifyYaml(config));
  const [apiKey, apiSecret] = Object.entries(config.keys)[0] ?? [];
  if (!apiKey || !apiSecret) throw new Error('livekit config has no keys');

  const child = spawn(binary, ['--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const onOutput = (d: Buffer) => {
    log?.write(d);
    tail.push(...d.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const host = config.bind_addresses[0] ?? '127.0.0.1';
  const httpUrl = `http://${host}:${config.port}/`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`livekit-server exited with ${child.exitCode}:\n${tail.join('\n')}`);
    if (await answers(httpUrl)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`livekit-server did not answer on ${httpUrl} within 15 s:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url: `ws://${host}:${config.port}`,
    apiKey,
    apiSecret,
    process: child,
    stop: async (graceMs = 5000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      log?.end();
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}
