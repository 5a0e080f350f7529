import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectHvError, pngsDiffer } from '../hypervisor.case.js';
import { createFakeHypervisor, type FakeHypervisor } from './index.js';
import { provision, tempHost, type TempHost } from './fake-test-helpers.js';

describe('fake hypervisor console', () => {
  let host: TempHost;
  let hv: FakeHypervisor;
  const text = async (): Promise<string> => (await hv.screenText('vm-a')).join('\n');
  beforeEach(async () => {
    host = tempHost();
    hv = createFakeHypervisor();
    await provision(hv, 'vm-a', host.templateDisk);
    await hv.start('vm-a');
  });
  afterEach(async () => {
    await hv.close();
    host.cleanup();
  });

  it('shows a banner with the VM name, a prompt and a status line', async () => {
    const lines = await hv.screenText('vm-a');
    expect(lines).toHaveLength(25);
    expect(lines[0]).toBe('hvkube fake console — vm-a');
    expect(lines).toContain('$ ');
    expect(lines[24]).toBe('keys: -');
  });

  it('runs echo and hostname like a shell, and says what it does not know', async () => {
    await hv.typeText('vm-a', 'echo hello world\r\nhostname\nfrobnicate --now\n');
    const lines = await hv.screenText('vm-a');
    expect(lines).toEqual(
      expect.arrayContaining([
        '$ echo hello world',
        'hello world',
        '$ hostname',
        'vm-a',
        'frobnicate: command not found',
      ]),
    );
  });

  it('edits with backspace, clears with ctrl+l and shows other chords in the status line', async () => {
    await hv.typeText('vm-a', 'echo abx');
    await hv.pressKeys('vm-a', ['backspace', 'shift+c', 'enter']);
    expect(await text()).toContain('\nabC\n');
    await hv.pressKeys('vm-a', ['ctrl+l', 'alt+f4', 'ctrl+shift+t', 'f5']);
    const lines = await hv.screenText('vm-a');
    expect(lines.slice(1, 3)).toEqual(['$ ', '']);
    expect(lines[24]).toBe('keys: alt+f4 ctrl+shift+t f5');
  });

  it('interrupts the line with ctrl+c', async () => {
    await hv.typeText('vm-a', 'sleep 100');
    await hv.pressKeys('vm-a', ['ctrl+c']);
    expect(await text()).toContain('$ sleep 100^C\n$ ');
  });

  it('rejects unknown key names before touching the VM', async () => {
    await expect(hv.pressKeys('vm-a', ['ctrl+bogus'])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('records the pointer and draws a marker where it is', async () => {
    const before = await hv.screenshot('vm-a');
    await hv.mouseMove('vm-a', 300, 200);
    expect((await hv.screenText('vm-a'))[24]).toContain('pointer 300,200');
    await hv.click('vm-a', 100, 50, { button: 'right', double: true });
    expect((await hv.screenText('vm-a'))[24]).toContain('pointer 100,50 right x2');
    const after = PNG.sync.read(await hv.screenshot('vm-a'));
    const at = (x: number, y: number): number[] => [
      ...after.data.subarray((y * after.width + x) * 4, (y * after.width + x) * 4 + 3),
    ];
    expect(at(100, 50)).toEqual([240, 64, 64]);
    expect(pngsDiffer(before, await hv.screenshot('vm-a'))).toBe(true);
    await hv.click('vm-a', -5, 99999);
    expect((await hv.screenText('vm-a'))[24]).toContain('pointer 0,399 left');
  });

  it('scrolls back through history and forward again', async () => {
    await hv.typeText('vm-a', Array.from({ length: 40 }, (_, i) => `echo line-${i}\n`).join(''));
    expect(await text()).not.toContain('line-0\n');
    await hv.scroll('vm-a', -1000);
    expect((await hv.screenText('vm-a'))[1]).toBe(
      'fake guest booted. commands: echo TEXT, hostname, clear',
    );
    expect((await hv.screenText('vm-a'))[24]).toMatch(/scrolled back \d+/);
    await hv.scroll('vm-a', 1000);
    expect((await hv.screenText('vm-a'))[23]).toBe('$ ');
  });

  it('wraps long lines at 80 columns', async () => {
    await hv.typeText('vm-a', `echo ${'x'.repeat(100)}\n`);
    const lines = await hv.screenText('vm-a');
    expect(lines).toContain('x'.repeat(80));
    expect(lines).toContain('x'.repeat(20));
  });

  it('keeps the screen across save and resume, and resets it on a cold boot', async () => {
    await hv.typeText('vm-a', 'echo kept\n');
    await hv.save('vm-a');
    await hv.start('vm-a');
    expect(await text()).toContain('\nkept\n');
    await hv.stop('vm-a', { force: true });
    await hv.start('vm-a');
    expect(await text()).not.toContain('kept');
  });

  it('brings back the screen of checkpoint time on restore', async () => {
    await hv.typeText('vm-a', 'echo before\n');
    await hv.checkpoint('vm-a', 'clean');
    await hv.typeText('vm-a', 'echo after\n');
    await hv.restoreCheckpoint('vm-a', 'clean');
    await hv.start('vm-a');
    expect(await text()).toContain('\nbefore\n');
    expect(await text()).not.toContain('after');
  });

  it('refuses console input unless running; screenshots also work while paused', async () => {
    await hv.pause('vm-a');
    expect(PNG.sync.read(await hv.screenshot('vm-a')).width).toBe(640);
    await expectHvError(hv.typeText('vm-a', 'x'), 'HV_INVALID_STATE');
    await hv.save('vm-a');
    await expectHvError(hv.screenshot('vm-a'), 'HV_INVALID_STATE');
    await expectHvError(hv.pressKeys('vm-a', ['enter']), 'HV_INVALID_STATE');
    await expectHvError(hv.click('vm-a', 1, 1), 'HV_INVALID_STATE');
    await expectHvError(hv.scroll('vm-a', 1), 'HV_INVALID_STATE');
    await expectHvError(hv.mouseMove('vm-a', 1, 1), 'HV_INVALID_STATE');
  });

  it('renders 640×400 natively and scales to a width', async () => {
    const native = PNG.sync.read(await hv.screenshot('vm-a'));
    expect([native.width, native.height]).toEqual([640, 400]);
    const small = PNG.sync.read(await hv.screenshot('vm-a', { width: 320 }));
    expect([small.width, small.height]).toEqual([320, 200]);
    await expect(hv.screenshot('vm-a', { width: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
