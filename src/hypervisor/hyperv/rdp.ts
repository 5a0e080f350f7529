/**
 * `.rdp` files for people who want to look at a VM with Remote Desktop (mstsc, or any client
 * that reads the format). The file holds no credentials.
 * @module
 */
import { writeFile } from 'node:fs/promises';

/**
 * On a Windows 10/11 guest an RDP logon takes over the only interactive session: the console
 * (what screenshots, typing and clicks act on) shows the lock screen, and stays there after the
 * RDP client disconnects. Releasing or resetting the VM restores the clean checkpoint, whose
 * console session is logged on again.
 */
export const RDP_CONSOLE_WARNING =
  'note: on a Windows 10/11 guest a Remote Desktop logon takes the console session: until the VM is released or reset, ' +
  'its screenshots show the lock screen and typed input and clicks go there. Release or reset the VM after using RDP.';

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
