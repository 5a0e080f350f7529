/**
 * The details fragment of the VM page.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Vm } from '../../domain/types.js';
import { duration, since } from '../format.js';
import { SCREEN_STATES, VmActions } from './vms.js';

export function VmDetailView({ vm, now = Date.now() }: { vm: Vm; now?: number }): JSX.Element {
  const rows: [string, string][] = [
    ['pool', vm.pool],
    ['template', vm.template],
    ['host', vm.host],
    ['since', `${since(vm.stateSince, now)} (${vm.stateSince})`],
    ['holder', vm.lease ? vm.lease.holder : '–'],
    ['lease expires', vm.lease?.expiresAt ?? '–'],
    ['ip', vm.ip ?? '–'],
    ['rdp port', vm.rdpPort === null ? '–' : String(vm.rdpPort)],
    ['mcp endpoint', vm.mcpEndpoint ?? '–'],
    ['first boot', duration(vm.bootMs)],
    ['last resume', duration(vm.lastResumeMs)],
    ['last save', duration(vm.lastSaveMs)],
    ['last error', vm.lastError ?? '–'],
  ];
  return (
    <div
      data-vm={vm.name}
      data-state={vm.state}
      data-screen={SCREEN_STATES.includes(vm.state) ? '1' : '0'}
    >
      <p>
        <span class={`state state-${vm.state}`} data-role="state">
          {vm.state}
        </span>
      </p>
      <dl class="facts wide">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      <VmActions vm={vm} />
    </div>
  );
}
