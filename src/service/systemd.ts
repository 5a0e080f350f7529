/**
 * The systemd unit for Linux. Values are quoted by systemd's own rules (double quotes, backslash
 * escapes, `%` and `$` doubled so no specifier or variable expands), after definition.ts refused
 * anything that could end a line.
 * @module
 */
import { serveArgv, type ServiceOptions } from './definition.js';

/** One word of ExecStart= or a value of Environment=, quoted. */
export function systemdQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

export function systemdUnitPath(name: string): string {
  return `/etc/systemd/system/${name}.service`;
}

export function systemdUnit(o: ServiceOptions): string {
  const env = { HVKUBE_DATA_DIR: o.dataDir, ...o.env };
  const lines = [
    '[Unit]',
    'Description=hvkube: pools of saved desktop VMs (hvkube serve)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${serveArgv(o).map(systemdQuote).join(' ')}`,
    ...Object.entries(env).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    ...(o.account === null ? [] : [`User=${o.account}`]),
    `WorkingDirectory=${systemdQuote(o.dataDir)}`,
    // serve finishes the operations under way on SIGTERM; saving VMs can take a while.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=120',
    'Restart=on-failure',
    'RestartSec=5',
    // Logs: serve writes JSON lines to stderr, which the journal keeps (journalctl -u NAME).
    'StandardOutput=journal',
    'StandardError=journal',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
