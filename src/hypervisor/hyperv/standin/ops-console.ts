/**
 * Stand-in console and guest operations: heartbeat, guest address, thumbnail, keyboard, mouse.
 * Input needs a Running VM (the scripts' guard); the thumbnail also works while Paused.
 * @module
 */
import { PsError, wmiResult } from './ps-errors.js';
import type { Bound } from './params.js';
import { pressChord, typeText as typeOnScreen } from './keyboard.js';
import { renderScreen, scaleRgb565, SCREEN_HEIGHT, SCREEN_WIDTH } from './screen.js';
import { isGuestReady, stateName, STATE } from './view.js';
import { assertState, vmOrThrow } from './ops-host.js';
import type { OpContext } from './ops-context.js';

function name(p: Bound): string {
  return typeof p.Name === 'string' ? p.Name : '';
}

export function getHeartbeat(ctx: OpContext, p: Bound): unknown {
  const vm = vmOrThrow(ctx.store.read(), name(p));
  const now = ctx.now();
  const running = vm.state === STATE.Running;
  const ready = isGuestReady(vm, now);
  return {
    state: stateName(vm),
    heartbeat: vm.state === STATE.Paused ? 'Paused' : running ? (ready ? 'OkApplicationsHealthy' : 'NoContact') : null,
    enabled: true,
    primaryOperationalStatus: running ? (ready ? 'Ok' : 'NoContact') : null,
    primaryStatusDescription: running ? (ready ? 'OK' : 'No Contact') : null,
  };
}

export function getGuestAddress(ctx: OpContext, p: Bound): unknown {
  const vm = vmOrThrow(ctx.store.read(), name(p));
  const known = isGuestReady(vm, ctx.now());
  const suffix = vm.macAddress.slice(-4).toLowerCase();
  return {
    state: stateName(vm),
    adapters: [
      {
        name: 'Network Adapter',
        macAddress: vm.macAddress,
        switchName: vm.switchName ?? '',
        ipAddresses: known ? [vm.ipv4, `fe80::215:5dff:fe00:${suffix}`] : [],
      },
    ],
  };
}

export function getScreenshot(ctx: OpContext, p: Bound): unknown {
  const vm = vmOrThrow(ctx.store.read(), name(p));
  assertState(vm, [STATE.Running, STATE.Paused], 'Screenshot');
  let data = renderScreen(vm.name, vm.screen);
  let width = SCREEN_WIDTH;
  let height = SCREEN_HEIGHT;
  const asked = typeof p.Width === 'number' ? p.Width : 0;
  if (asked > 0 && asked < SCREEN_WIDTH) {
    width = asked;
    height = Math.max(1, Math.round((SCREEN_HEIGHT * asked) / SCREEN_WIDTH));
    data = scaleRgb565(data, SCREEN_WIDTH, SCREEN_HEIGHT, width, height);
  }
  return { width, height, format: 'rgb565le', dataBase64: data.toString('base64') };
}

export function typeText(ctx: OpContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = vmOrThrow(host, name(p));
    assertState(vm, [STATE.Running], 'Type text');
    const text = typeof p.Text === 'string' ? p.Text : '';
    // TypeText answers 1 for characters it cannot translate (anything outside ASCII).
    if (/[^\x20-\x7e]/.test(text)) throw wmiResult('TypeText', 1);
    typeOnScreen(vm.screen, text);
    return { returnValue: 0 };
  });
}

export function pressKeys(ctx: OpContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = vmOrThrow(host, name(p));
    assertState(vm, [STATE.Running], 'Press keys');
    const chords = Array.isArray(p.Chords) ? p.Chords.map(String) : [];
    for (const chord of chords) {
      try {
        pressChord(vm.screen, chord);
      } catch {
        // [uint32]::Parse on something that is not a number.
        throw new PsError(
          'Exception calling "Parse" with "2" argument(s): "Input string was not in a correct format."',
          'NotSpecified',
          'FormatException',
          'System.Management.Automation.MethodInvocationException',
        );
      }
    }
    return { returnValue: 0, chords: chords.length };
  });
}

export function sendMouse(ctx: OpContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = vmOrThrow(host, name(p));
    assertState(vm, [STATE.Running], 'Mouse input');
    const x = typeof p.X === 'number' ? p.X : -1;
    const y = typeof p.Y === 'number' ? p.Y : -1;
    const button = typeof p.Button === 'number' ? p.Button : 1;
    if (x >= 0 && y >= 0) {
      vm.screen.mouseX = Math.min(x, SCREEN_WIDTH - 1);
      vm.screen.mouseY = Math.min(y, SCREEN_HEIGHT - 1);
    }
    switch (p.Action) {
      case 'click':
        vm.screen.clicks += 1;
        break;
      case 'double':
        vm.screen.clicks += 2;
        break;
      case 'down':
        if (!vm.screen.buttonsDown.includes(button)) vm.screen.buttonsDown.push(button);
        break;
      case 'up':
        vm.screen.buttonsDown = vm.screen.buttonsDown.filter((b) => b !== button);
        break;
      case 'scroll':
        vm.screen.scroll += typeof p.Delta === 'number' ? p.Delta : 0;
        break;
      default:
        break;
    }
    return { returnValue: 0 };
  });
}
