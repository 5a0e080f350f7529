/**
 * Helpers for tests of the Windows-shaped machine: whether swtpm and OVMF are installed, and a
 * shell on the demo guest's serial console.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { firmwareFiles } from './shape.js';

export const SWTPM_AVAILABLE =
  spawnSync('swtpm', ['--version']).status === 0 &&
  spawnSync('swtpm_setup', ['--version']).error === undefined &&
  existsSync(firmwareFiles('/usr/share/OVMF', false).code);
export const SWTPM_MISSING_REASON = 'swtpm, swtpm-tools or ovmf is not installed (apt-get install --no-install-recommends swtpm swtpm-tools ovmf)';

let marker = 0;

/**
 * Runs `command` in the demo guest's serial shell (the socket `<runDir>/<vm>.ser`) and answers
 * its output. Bytes sent before the shell has opened the port are lost, so it first sends empty
 * lines until a prompt answers. The markers are computed by the guest's shell, so the echoed
 * command line never matches them.
 */
export async function guestShell(serialSocket: string, command: string, timeoutMs = 60_000): Promise<string> {
  const n = ++marker;
  const end = `END-${n}-${n * 7}`;
  return new Promise<string>((resolve, reject) => {
    const socket = connect(serialSocket);
    let text = '';
    let sent = false;
    const nudge = setInterval(() => socket.write('\n'), 500);
    const timer = setTimeout(() => {
      clearInterval(nudge);
      socket.destroy();
      reject(new Error(`no answer from the guest to ${JSON.stringify(command)} within ${timeoutMs} ms; got ${JSON.stringify(text.slice(-300))}`));
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!sent) {
        if (!text.includes('demo# ')) return;
        sent = true;
        clearInterval(nudge);
        text = '';
        socket.write(`echo BEGIN-$((${n})); ${command}; echo END-$((${n}))-$((${n}*7))\n`);
        return;
      }
      const at = text.indexOf(`${end}\r\n`) >= 0 ? text.indexOf(`${end}\r\n`) : text.indexOf(`${end}\n`);
      if (at < 0) return;
      clearTimeout(timer);
      socket.destroy();
      const start = text.indexOf(`BEGIN-${n}\n`) >= 0 ? text.indexOf(`BEGIN-${n}\n`) + `BEGIN-${n}\n`.length : text.indexOf(`BEGIN-${n}\r\n`) + `BEGIN-${n}\r\n`.length;
      resolve(text.slice(start, at).replaceAll('\r', ''));
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      clearInterval(nudge);
      reject(e);
    });
    socket.on('connect', () => socket.write('\n'));
  });
}
