/**
 * Stand-in console and guest operations: heartbeat, guest address, thumbnail, keyboard, mouse.
 * Input needs a Running VM (the scripts' guard); the thumbnail also works while Paused.
 * @module
 */
import { PsError, wmiResult } from './ps-errors.js';
import type { Bound } from './params.js';
import { pressChord, typeText as typeOnScreen } from './keyboard.js';
import { renderScreen, scaleRgb565 } from './screen.js';
import { isGuestReady, stateName, STATE } from './view.js';
import { assertState, lookupVm } from './ops-host.js';
import type { RunContext } from './ops-context.js';
import { invokeWmi } from './strict.js';

export function getHeartbeat(ctx: RunContext, p: Bound): unknown {
  const vm = lookupVm(ctx, ctx.store.read(), p);
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

export function getGuestAddress(ctx: RunContext, p: Bound): unknown {
  const vm = lookupVm(ctx, ctx.store.read(), p);
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

/** get-screenshot.ps1 returns its bytes under 'binary' (outside the JSON). */
function returnsBinary(ctx: RunContext): boolean {
  return /^\s*binary\s*=/m.test(ctx.script.script.source);
}

export function getScreenshot(ctx: RunContext, p: Bound): unknown {
  const vm = lookupVm(ctx, ctx.store.read(), p);
  assertState(vm, [STATE.Running, STATE.Paused], 'Screenshot');
  const native = ctx.faults.screen;
  let data = renderScreen(vm.name, vm.screen, native.width, native.height);
  let width = native.width;
  let height = native.height;
  const asked = typeof p.Width === 'number' ? p.Width : 0;
  if (asked > 0 && asked < native.width) {
    width = asked;
    height = Math.max(1, Math.round((native.height * asked) / native.width));
  }
  invokeWmi(ctx.script, ctx.dice, 'GetVirtualSystemThumbnailImage');
  if (width !== native.width) data = scaleRgb565(data, native.width, native.height, width, height);
  // What the script returns: bytes under 'binary' (sent outside the JSON), or Base64 inside it.
  return returnsBinary(ctx) ? { width, height, format: 'rgb565le', binary: data } : { width, height, format: 'rgb565le', dataBase64: data.toString('base64') };
}

export function typeText(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Running], 'Type text');
    const text = typeof p.Text === 'string' ? p.Text : '';
    // TypeText answers 1 for characters it cannot translate (anything outside ASCII).
    if (/[^\x20-\x7e]/.test(text)) throw wmiResult('TypeText', 1);
    if (text.length > 0) invokeWmi(ctx.script, ctx.dice, 'TypeText');
    typeOnScreen(vm.screen, text);
    return { returnValue: 0 };
  });
}

export function pressKeys(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Running], 'Press keys');
    const chords = Array.isArray(p.Chords) ? p.Chords.map(String) : [];
    const mode = typeof p.Mode === 'string' ? p.Mode : 'press';
    if (mode === 'down' || mode === 'up') {
      // Like the script: every code is parsed before the first key moves.
      const codes = chords.flatMap((c) => c.split(','));
      if (codes.some((c) => !/^\d+$/.test(c))) {
        throw new PsError(
          'Exception calling "Parse" with "2" argument(s): "Input string was not in a correct format."',
          'NotSpecified',
          'FormatException',
          'System.Management.Automation.MethodInvocationException',
        );
      }
      for (const code of codes.map(Number)) {
        invokeWmi(ctx.script, ctx.dice, mode === 'down' ? 'PressKey' : 'ReleaseKey');
        const held = (vm.screen.keysDown ?? []).filter((k) => k !== code);
        vm.screen.keysDown = mode === 'down' ? [...held, code] : held;
      }
      return { returnValue: 0, keys: codes.length };
    }
    for (const chord of chords) {
      invokeWmi(ctx.script, ctx.dice, chord === 'cad' ? 'TypeCtrlAltDel' : 'TypeKey');
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

export function sendMouse(ctx: RunContext, p: Bound): unknown {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    assertState(vm, [STATE.Running], 'Mouse input');
    const x = typeof p.X === 'number' ? p.X : -1;
    const y = typeof p.Y === 'number' ? p.Y : -1;
    const button = typeof p.Button === 'number' ? p.Button : 1;
    if (x >= 0 && y >= 0) {
      invokeWmi(ctx.script, ctx.dice, 'SetAbsolutePosition');
      vm.screen.mouseX = Math.min(x, ctx.faults.screen.width - 1);
      vm.screen.mouseY = Math.min(y, ctx.faults.screen.height - 1);
    }
    switch (p.Action) {
      case 'click':
        invokeWmi(ctx.script, ctx.dice, 'ClickButton');
        vm.screen.clicks += 1;
        break;
      case 'double':
      case 'triple': {
        const n = p.Action === 'triple' ? 3 : 2;
        for (let i = 0; i < n; i++) invokeWmi(ctx.script, ctx.dice, 'ClickButton');
        vm.screen.clicks += n;
        break;
      }
      case 'down':
        invokeWmi(ctx.script, ctx.dice, 'SetButtonState');
        if (!vm.screen.buttonsDown.includes(button)) vm.screen.buttonsDown.push(button);
        break;
      case 'up':
        invokeWmi(ctx.script, ctx.dice, 'SetButtonState');
        vm.screen.buttonsDown = vm.screen.buttonsDown.filter((b) => b !== button);
        break;
      case 'scroll':
        invokeWmi(ctx.script, ctx.dice, 'SetScrollPosition');
        // The raw wheel delta as the guest receives it (see backend.ts for the notch mapping).
        vm.screen.scroll += typeof p.WheelDelta === 'number' ? p.WheelDelta : 0;
        break;
      default:
        break;
    }
    return { returnValue: 0 };
  });
}
