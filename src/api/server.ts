/**
 * Binding the API to a socket, with optional TLS, and taking it down gracefully: refuse new
 * requests, let those under way finish (a waiting acquire gives up with 503), wait for releases
 * still saving their VM, then close. The orchestrator is closed by its owner afterwards, which
 * waits for the pool controller, so every VM ends saved, off or in error — resumable.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { HvkubeError } from '../domain/errors.js';
import { silentLogger } from '../_util/logger.js';
import { createApi, type Api, type ApiOptions } from './app.js';
import { isLoopback, parseListen, urlFor, type ListenAddress } from './listen.js';

export interface ApiServerOptions extends ApiOptions {
  /** `HOST:PORT`; port 0 picks a free one. Default `127.0.0.1:8080`. */
  listen?: string;
  /** PEM files; HTTPS when given. */
  tls?: { cert: string; key: string } | null;
  /** Host names a browser may use besides loopback ones (`api.allowedHosts`); see request-guard.ts. */
  allowedHosts?: readonly string[];
  /** How long shutdown waits for requests and releases under way. Default 30 s. */
  shutdownGraceMs?: number;
}

export interface ApiServer {
  /** Where clients reach it, e.g. `http://127.0.0.1:8080`. */
  url: string;
  address: ListenAddress;
  api: Api;
  /** Graceful shutdown; resolves when the socket is closed and pending work is done. */
  close(): Promise<void>;
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new HvkubeError('INVALID_INPUT', `cannot read the TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))}`, {
      hint: 'check api.tls in config.json',
    });
  }
}

/**
 * Reads the TLS files and checks that they hold a usable certificate and matching key. `serve`
 * calls it before it touches anything, so a bad file stops it with a clear error.
 */
export function loadTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const material = { key: readPem('key', files.key), cert: readPem('certificate', files.cert) };
  try {
    createSecureContext(material);
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^error:[0-9A-F]+:/, '') : String(e);
    throw new HvkubeError('INVALID_INPUT', `the TLS certificate ${files.cert} and key ${files.key} are not a usable PEM pair: ${reason}`, {
      hint: 'api.tls needs a PEM certificate and its unencrypted PEM private key',
    });
  }
  return material;
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
}

/** Refuses to expose an unauthenticated API beyond this machine. */
export function checkExposure(address: ListenAddress, tokens: readonly string[]): void {
  if (tokens.length === 0 && !isLoopback(address.host)) {
    throw new HvkubeError('INVALID_INPUT', `refusing to listen on ${address.host} without an API token`, {
      hint: 'set HVKUBE_API_TOKEN (or api.tokens in config.json), or listen on 127.0.0.1',
    });
  }
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = options.logger ?? silentLogger;
  const requested = parseListen(options.listen ?? '127.0.0.1:8080');
  checkExposure(requested, options.tokens ?? []);
  const tls = options.tls ? loadTls(options.tls) : null;
  // Host names are checked where only this machine can send them; beyond loopback the token guards.
  const api = createApi({ ...options, hostPolicy: { loopbackOnly: isLoopback(requested.host), allowedHosts: options.allowedHosts ?? [] } });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch: api.app.fetch,
      hostname: requested.host,
      port: requested.port,
      ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
    }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new HvkubeError('INVALID_INPUT', `cannot listen on ${options.listen ?? '127.0.0.1:8080'}: ${e.code ?? e.message}`, {
          hint: e.code === 'EADDRINUSE' ? 'another process uses that port; pick another with --listen' : undefined,
          cause: e,
        }),
      );
    });
  }).catch(async (e: unknown) => {
    await api.close();
    throw e;
  });
  // Long waits (acquire with timeout_s, provisioning) must not be cut by Node's request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const bound = server.address() as AddressInfo;
  const address = { host: requested.host, port: bound.port };
  const url = urlFor(address, tls !== null);
  logger.info({ url, tls: tls !== null, auth: (options.tokens ?? []).length > 0 }, 'API listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    address,
    api,
    close() {
      closing ??= (async () => {
        api.lifecycle.beginDrain();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const graceMs = options.shutdownGraceMs ?? 30_000;
        const deadline = Date.now() + graceMs;
        const settled = await api.lifecycle.settled(graceMs);
        // A handler being done does not mean its answer left: wait until each connection has
        // written its last response (it turns idle, and is closed) before cutting the rest.
        while (Date.now() < deadline && (await openConnections(server)) > 0) {
          server.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 20));
        }
        if (!settled) logger.warn({}, 'shutdown grace period over; closing remaining connections');
        server.closeAllConnections();
        await closed;
        await api.close();
        logger.info({}, 'API stopped');
      })();
      return closing;
    },
  };
}
