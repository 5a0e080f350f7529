/**
 * The VMs fragment: one card per VM with state, host (in a fleet), holder, uptime, last resume time, a live
 * thumbnail (loaded by the client script through the screenshot API) and actions.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Vm } from '../../domain/types.js';
import type { VmState } from '../../domain/vm-state.js';
import { duration, since } from '../format.js';

/** States whose screen exists (the frame buffer of a paused VM is still there). */
export const SCREEN_STATES: readonly VmState[] = ['running', 'paused'];

export function VmActions({ vm }: { vm: Vm }): JSX.Element {
  const s = vm.state;
  const leased = vm.lease !== null;
  return (
    <div class="actions">
      {s === 'saved' || s === 'off' || s === 'paused' ? (
        <button type="button" data-action="resume" data-vm={vm.name}>
          resume
        </button>
      ) : null}
      {s === 'running' && !leased ? (
        <button type="button" data-action="save" data-vm={vm.name}>
          save
        </button>
      ) : null}
      <button
        type="button"
        data-action="reset"
        data-vm={vm.name}
        data-leased={leased ? '1' : '0'}
        class="danger-outline"
      >
        reset
      </button>
      {SCREEN_STATES.includes(s) ? (
        <button type="button" data-action="screenshot" data-vm={vm.name}>
          screenshot
        </button>
      ) : null}
      {leased ? (
        <button type="button" data-action="release" data-vm={vm.name} class="danger-outline">
          release
        </button>
      ) : null}
    </div>
  );
}

function Thumb({ vm }: { vm: Vm }): JSX.Element {
  if (!SCREEN_STATES.includes(vm.state)) {
    return (
      <div class="thumb empty">
        <span>{vm.state === 'saved' ? 'saved · no screen' : vm.state}</span>
      </div>
    );
  }
  return (
    // Named on the link itself: until its first thumbnail loads the image has no box, and a link
    // named only by a hidden image's alt has no name for a screen reader.
    <a class="thumb" href={`/vm?name=${encodeURIComponent(vm.name)}`} aria-label={`open ${vm.name}: its screen`}>
      <img data-thumb={vm.name} alt={`screen of ${vm.name}`} />
    </a>
  );
}

function VmCard({ vm, now, showHost }: { vm: Vm; now: number; showHost: boolean }): JSX.Element {
  return (
    <article class="card" data-vm={vm.name} data-state={vm.state}>
      <Thumb vm={vm} />
      <div class="card-body">
        <div class="card-title">
          <a class="mono" href={`/vm?name=${encodeURIComponent(vm.name)}`}>
            {vm.name}
          </a>
          <span class={`state state-${vm.state}`} data-role="state">
            {vm.state}
          </span>
        </div>
        <dl class="facts">
          <dt>pool</dt>
          <dd>{vm.pool}</dd>
          {showHost ? (
            <>
              <dt>host</dt>
              <dd>{vm.host}</dd>
            </>
          ) : null}
          <dt>holder</dt>
          <dd>{vm.lease?.holder ?? '–'}</dd>
          <dt>{vm.state === 'running' ? 'up' : 'since'}</dt>
          <dd>{since(vm.stateSince, now)}</dd>
          <dt>last resume</dt>
          <dd>{duration(vm.lastResumeMs)}</dd>
          <dt>ip</dt>
          <dd class="mono">{vm.ip ?? '–'}</dd>
        </dl>
        {vm.lastError ? <p class="small bad">{vm.lastError}</p> : null}
        <VmActions vm={vm} />
      </div>
    </article>
  );
}

export function VmsView({ vms, now = Date.now() }: { vms: Vm[]; now?: number }): JSX.Element {
  if (vms.length === 0)
    return <p class="muted">No VMs yet: a pool's controller provisions them.</p>;
  // A fleet: say where each VM lives.
  const showHost = new Set(vms.map((v) => v.host)).size > 1;
  return (
    <div class="cards">
      {vms.map((vm) => (
        <VmCard vm={vm} now={now} showHost={showHost} />
      ))}
    </div>
  );
}
