/**
 * The `--listen` address: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces), and whether it
 * is loopback-only — the one case where the API may run without a token.
 * @module
 */
import { isIP } from 'node:net';
import { HvkubeError } from '../domain/errors.js';

export interface ListenAddress {
  /** Host to bind; `0.0.0.0` or `::` for all interfaces. */
  host: string;
  port: number;
}

export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new HvkubeError('INVALID_INPUT', `listen address ${JSON.stringify(value)} is not HOST:PORT`, {
      hint: 'e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:8080',
    });
  }
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] ?? '0.0.0.0'));
  if (m[1] !== undefined && isIP(host) !== 6) throw new HvkubeError('INVALID_INPUT', `${host} is not an IPv6 address`);
  return { host, port };
}

/** True only for addresses no other machine can reach. A host name other than localhost is not. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return /^::ffff:127\./i.test(host);
}

/** The URL clients use for a bound address (IPv6 in brackets; all-interfaces becomes loopback). */
export function urlFor(address: ListenAddress, tls: boolean): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return `${tls ? 'https' : 'http'}://${isIP(host) === 6 ? `[${host}]` : host}:${address.port}`;
}
