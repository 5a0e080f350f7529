/**
 * `.rdp` files for people who want to look at a VM with Remote Desktop (mstsc, or any client
 * that reads the format). The file holds no credentials.
 * @module
 */
import { writeFile } from 'node:fs/promises';

export interface RdpOptions {
  /** Connect in full screen (default false: a 1280×800 window). */
  fullScreen?: boolean;
  username?: string;
}

export function rdpFileContent(address: string, port: number, options: RdpOptions = {}): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(address)) throw new RangeError(`not a host address: ${JSON.stringify(address)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a port: ${port}`);
  const target = address.includes(':') ? `[${address}]` : address;
  const lines = [
    `full address:s:${target}:${port}`,
    `screen mode id:i:${options.fullScreen ? 2 : 1}`,
    'desktopwidth:i:1280',
    'desktopheight:i:800',
    'session bpp:i:32',
    'prompt for credentials:i:1',
    'authentication level:i:2',
    'redirectclipboard:i:1',
    'autoreconnection enabled:i:1',
  ];
  if (options.username !== undefined) {
    if (/[\r\n]/.test(options.username)) throw new RangeError('user name must be one line');
    lines.push(`username:s:${options.username}`);
  }
  // mstsc expects CRLF line ends.
  return `${lines.join('\r\n')}\r\n`;
}

export async function writeRdpFile(filePath: string, address: string, port = 3389, options: RdpOptions = {}): Promise<void> {
  await writeFile(filePath, rdpFileContent(address, port, options), 'utf8');
}
