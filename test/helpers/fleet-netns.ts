/**
 * A private network for fleet tests: one namespace per host, each joined by a veth pair to a
 * bridge in the root namespace. PostgreSQL stays on 127.0.0.1; a TCP relay in this process,
 * listening on the bridge, forwards each host to it. Cutting a host takes its veth down and
 * drops the relay's connections for it (a middle box that lost its state); healing brings the
 * link back. All addresses are private to the test (10.x.y.0/24, picked at random) and
 * everything is removed by `destroy()`, which afterAll must call even after a failure.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
}

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  const probe = `hvkp${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return null;
  } catch (e) {
    return `ip netns does not work: ${e instanceof Error ? e.message : String(e)}`;
  }
}

interface Relay {
  server: net.Server;
  sockets: Set<net.Socket>;
}

export class NetnsLab {
  readonly tag = randomBytes(2).toString('hex');
  /** 10.<a>.<b>.0/24, with the bridge on .1 and host i on .(10 + i). */
  readonly subnet = `10.${200 + (randomBytes(1)[0] ?? 0) % 50}.${(randomBytes(1)[0] ?? 0) % 250}`;
  readonly bridge = `hvkbr${this.tag}`;
  readonly #relays = new Map<number, Relay>();
  readonly #hosts = new Set<number>();

  get gateway(): string {
    return `${this.subnet}.1`;
  }

  ns(i: number): string {
    return `hvkf${this.tag}${i}`;
  }

  hostAddress(i: number): string {
    return `${this.subnet}.${10 + i}`;
  }

  #veth(i: number): string {
    return `hvkv${this.tag}${i}`;
  }

  async up(count: number): Promise<void> {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 1; i <= count; i++) {
      const ns = this.ns(i);
      const veth = this.#veth(i);
      ip('netns', 'add', ns);
      this.#hosts.add(i);
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}h`);
      ip('link', 'set', `${veth}h`, 'netns', ns);
      ip('link', 'set', veth, 'master', this.bridge);
      ip('link', 'set', veth, 'up');
      ip('-n', ns, 'addr', 'add', `${this.hostAddress(i)}/24`, 'dev', `${veth}h`);
      ip('-n', ns, 'link', 'set', `${veth}h`, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      await this.#relay(i);
    }
  }

  /** Port of host i's relay to PostgreSQL, on the gateway address. */
  relayPort(i: number): number {
    const addr = this.#relays.get(i)?.server.address();
    if (!addr || typeof addr === 'string') throw new Error(`no relay for host ${i}`);
    return addr.port;
  }

  async #relay(i: number): Promise<void> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, this.gateway, resolve));
    this.#relays.set(i, { server, sockets });
  }

  /** Host i loses the network: link down, its connections through the relay dropped. */
  cut(i: number): void {
    ip('link', 'set', this.#veth(i), 'down');
    for (const s of this.#relays.get(i)?.sockets ?? []) s.destroy();
  }

  heal(i: number): void {
    ip('link', 'set', this.#veth(i), 'up');
  }

  async destroy(): Promise<void> {
    for (const r of this.#relays.values()) {
      for (const s of r.sockets) s.destroy();
      await new Promise<void>((resolve) => r.server.close(() => resolve()));
    }
    this.#relays.clear();
    for (const i of this.#hosts) {
      tryIp('link', 'del', this.#veth(i));
      tryIp('netns', 'del', this.ns(i));
    }
    tryIp('link', 'del', this.bridge);
  }
}
