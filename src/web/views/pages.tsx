/**
 * The two pages: the overview (pools, the hosts of a fleet, VMs, agents, charts, events) and one
 * VM's large screen. Sections are filled and refreshed by the client script from server-rendered
 * fragments.
 * @module
 */
import type { JSX } from 'hono/jsx/jsx-runtime';
import { Shell } from './layout.js';

function Section({
  id,
  title,
  hidden,
  children,
}: {
  id: string;
  title: string;
  /** Shown by the client script once its fragment has something to show. */
  hidden?: boolean;
  children?: JSX.Element | JSX.Element[];
}): JSX.Element {
  return (
    <section class="panel" id={`${id}-panel`} hidden={hidden === true}>
      <h2>{title}</h2>
      {children}
      <div id={id} class="fragment" data-fragment={id}>
        <p class="muted">loading…</p>
      </div>
    </section>
  );
}

export function HomePage({ authRequired }: { authRequired: boolean }): JSX.Element {
  return (
    <Shell title="hvkube dashboard" page="home" authRequired={authRequired}>
      <Section id="pools" title="Pools" />
      <Section id="hosts" title="Hosts" hidden />
      <Section id="vms" title="VMs" />
      <div class="two">
        <Section id="agents" title="Agent queue" />
        <Section id="charts" title="Resume times and queue depth" />
      </div>
      <section class="panel" id="events-panel">
        <h2>Events</h2>
        {/* Focusable, so the scrolling list can be read and scrolled with the keyboard. */}
        <ol id="events" class="events" tabindex={0} aria-label="event log, newest first"></ol>
      </section>
    </Shell>
  );
}

export function VmPage({
  name,
  authRequired,
}: {
  name: string;
  authRequired: boolean;
}): JSX.Element {
  return (
    <Shell title={`${name} · hvkube`} page="vm" authRequired={authRequired} data={{ vm: name }}>
      <p class="crumbs">
        <a href="/">← all VMs</a>
      </p>
      <div class="vm-layout">
        <section class="panel screen-panel">
          <h2>
            Screen of <span class="mono">{name}</span>
          </h2>
          <p class="muted">
            Click the screen to send clicks; while it has the focus (blue outline), your keystrokes
            go to the VM.
          </p>
          <div id="screen" class="screen" tabindex={0}>
            <img id="screen-img" alt={`screen of ${name}`} />
            <p id="screen-note" class="muted">
              waiting for the screen…
            </p>
          </div>
          <form id="type-form" class="inline" autocomplete="off">
            <input name="text" placeholder="text to type" aria-label="text to type" />
            <button type="submit">type</button>
            <input name="keys" placeholder="keys, e.g. ctrl+l enter" aria-label="keys to press" />
            <button type="submit" name="send" value="keys">
              press
            </button>
          </form>
        </section>
        <section class="panel">
          <h2>Details</h2>
          <div id="vm" class="fragment" data-fragment="vm">
            <p class="muted">loading…</p>
          </div>
        </section>
      </div>
    </Shell>
  );
}
