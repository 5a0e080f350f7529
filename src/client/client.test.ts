/**
 * The client over a real socket: answers that take long (an acquire waiting for a VM, a
 * provision) are waited for, and a server that cannot be reached is a clear error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../domain/errors.js';
import { HvkubeClient } from './client.js';

const ANSWER = { vm_name: 'vm-1', lease_id: 'l1', resume_ms: 5 };

describe('HvkubeClient over HTTP', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  /** A server that answers every request after `delayMs`. */
  async function slowServer(delayMs: number): Promise<string> {
    server = http.createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ANSWER)), delayMs);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
  }

  it('waits for a slow answer by default, and gives up only when told to', async () => {
    const url = await slowServer(1500);
    expect(await new HvkubeClient({ url }).acquire({ pool: 'p', timeoutS: 600 })).toMatchObject({ vm_name: 'vm-1' });
    let caught: unknown;
    try {
      await new HvkubeClient({ url, headersTimeoutMs: 200 }).acquire({ pool: 'p' });
    } catch (e) {
      caught = e;
    }
    expect(isHvkubeError(caught, 'SERVER_UNREACHABLE')).toBe(true);
    expect(String(caught)).toMatch(/HEADERS_TIMEOUT/);
  });

  it('reports a server that is not there as SERVER_UNREACHABLE', async () => {
    const url = await slowServer(0);
    await new Promise((r) => server?.close(r));
    server = undefined;
    await expect(new HvkubeClient({ url }).listPools()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
  });
});
