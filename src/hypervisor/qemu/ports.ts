/**
 * Free loopback ports for port forwards and VNC, chosen once when a VM is created and stored in
 * its definition so they stay the same across save and resume.
 * @module
 */
import { createServer } from 'node:net';
import { HypervisorError } from '../../domain/errors.js';

/** A port the kernel hands out as free on 127.0.0.1 right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A VNC display number n (port 5900 + n) that is free now; displays 10-99 are tried at random. */
export async function freeVncDisplay(): Promise<number> {
  const start = 10 + Math.floor(Math.random() * 90);
  for (let i = 0; i < 90; i++) {
    const display = 10 + ((start - 10 + i) % 90);
    if (await canListen(5900 + display)) return display;
  }
  throw new HypervisorError('HV_UNAVAILABLE', 'no free VNC port between 5910 and 5999 on 127.0.0.1');
}
