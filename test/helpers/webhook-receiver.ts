/**
 * A webhook receiver on 127.0.0.1 that verifies every request with the `standardwebhooks`
 * library (not hvkube's code), de-duplicates on `webhook-id` as a receiver should, and can be
 * taken down and brought back on the same port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  /** Unique messages, in arrival order. */
  messages: Received[];
  /** Every request that verified, duplicates included. */
  requests: number;
  /** Requests the library refused (bad signature). */
  rejected: number;
  /** While set, answer 503 without reading the message. */
  failing: boolean;
  /** Requests answered 503 while failing. */
  refused: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string, port = 0): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const seen = new Set<string>();
  let server: Server | null = null;
  const r: Receiver = {
    url: '',
    messages: [],
    requests: 0,
    rejected: 0,
    failing: false,
    refused: 0,
    async down() {
      const s = server;
      server = null;
      if (s)
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
    },
    async up() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (r.failing) {
            r.refused++;
            res.writeHead(503).end();
            return;
          }
          const body = Buffer.concat(chunks).toString('utf8');
          const headers = Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
          );
          try {
            const payload = verifier.verify(body, headers) as Omit<Received, 'id'>;
            r.requests++;
            const id = headers['webhook-id'] ?? '';
            if (!seen.has(id)) {
              seen.add(id);
              r.messages.push({ id, ...payload });
            }
            res.writeHead(204).end();
          } catch {
            r.rejected++;
            res.writeHead(400).end();
          }
        });
      });
      const s = server;
      await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', () => resolve()));
      port = (s.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${port}/hooks`;
    },
    close() {
      return r.down();
    },
  };
  await r.up();
  return r;
}

/** Waits until `check` holds, polling; fails after `limit` polls with `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  limit = 600,
): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}
