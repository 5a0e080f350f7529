import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQemuHypervisor, type QemuHypervisor } from '../../hypervisor/qemu/index.js';
import { demoImageForTests, killSpawnedQemus, QEMU_AVAILABLE, tempDir, waitFor } from '../../hypervisor/qemu/qemu-test-helpers.js';
import { createSqliteStore } from '../../store/sqlite/index.js';
import type { Store } from '../../store/store.js';
import { Orchestrator } from '../orchestrator.js';

const STEP_MS = 300_000;

/**
 * Anthropic and OpenAI actions on a real VM: the QEMU demo guest is a text console, so typing
 * shows on the screen and in its serial log; mouse input (moves, buttons, drags over the USB
 * tablet) is accepted by QEMU but draws nothing on a text console.
 */
describe.skipIf(!QEMU_AVAILABLE)('actions on a real QEMU VM', () => {
  let data: { dir: string; cleanup(): void };
  let hv: QemuHypervisor;
  let store: Store;
  let orch: Orchestrator;

  beforeAll(async () => {
    const image = await demoImageForTests();
    data = tempDir('hvk-qemu-actions-');
    hv = createQemuHypervisor({ dataDir: data.dir, qmpIdleMs: 300 });
    store = createSqliteStore({ file: path.join(data.dir, 'hvkube.db') });
    await store.migrate();
    orch = new Orchestrator({ store, hypervisor: hv, settings: { readyTimeoutMs: STEP_MS } });
    await orch.registerTemplate({ name: 'demo', diskPath: image.diskPath, memoryMb: 128, cpus: 1, boot: image });
    await orch.createPool({ name: 'q', template: 'demo', desired: 1, releasePolicy: 'save' });
    expect((await orch.provisionPool('q')).failed).toEqual([]);
  }, STEP_MS);

  afterAll(async () => {
    await orch?.close();
    await hv?.close();
    await store?.close();
    killSpawnedQemus();
    data?.cleanup();
  }, STEP_MS);

  it('types, presses keys, drags, clicks and holds; the screenshot after shows the typed text', async () => {
    const lease = await orch.acquire({ pool: 'q', holder: 'agent', timeoutMs: STEP_MS, display: { width: 1024, height: 768 } });
    const vm = lease.vm.name;
    const mine = { leaseId: lease.leaseId };
    const before = await orch.actions(vm, { format: 'anthropic', actions: [{ action: 'screenshot' }] }, mine);
    expect([before.screenshot?.width, before.screenshot?.height]).toEqual([1024, 768]);

    const anthropic = await orch.actions(vm, {
      format: 'anthropic',
      actions: [
        { action: 'mouse_move', coordinate: [100, 100] },
        { action: 'left_click_drag', start_coordinate: [100, 100], coordinate: [500, 400] },
        { action: 'triple_click', coordinate: [200, 200] },
        { action: 'left_mouse_down' },
        { action: 'left_mouse_up' },
        { action: 'hold_key', text: 'shift', duration: 0.1 },
        { action: 'type', text: 'echo ANTHROPIC-SEEN >/dev/ttyS0' },
        { action: 'key', text: 'Return' },
        { action: 'wait', duration: 1 },
        { action: 'cursor_position' },
        { action: 'screenshot' },
      ],
    }, mine);
    // Mapped to the screen and back: within a pixel of where it was sent.
    const at = anthropic.results.find((r) => r.action === 'cursor_position')?.cursor;
    expect(Math.abs((at?.x ?? -9) - 200)).toBeLessThanOrEqual(2);
    expect(Math.abs((at?.y ?? -9) - 200)).toBeLessThanOrEqual(2);
    const serial = path.join(data.dir, 'qemu', vm, 'serial.log');
    await waitFor('the guest echoed the Anthropic line', 60_000, () => readFileSync(serial, 'utf8').includes('ANTHROPIC-SEEN'));
    expect(anthropic.screenshot?.data).not.toBe(before.screenshot?.data);

    const openai = await orch.actions(vm, {
      format: 'openai',
      actions: [
        { type: 'drag', path: [{ x: 10, y: 10 }, { x: 300, y: 10 }, { x: 300, y: 300 }] },
        { type: 'click', button: 'left', x: 50, y: 60 },
        { type: 'double_click', x: 50, y: 60 },
        { type: 'move', x: 70, y: 80 },
        { type: 'type', text: 'echo OPENAI-SEEN >/dev/ttyS0' },
        { type: 'keypress', keys: ['ENTER'] },
        { type: 'scroll', x: 70, y: 80, scroll_x: 0, scroll_y: 100 },
        { type: 'wait', ms: 500 },
        { type: 'screenshot' },
      ],
    }, mine);
    await waitFor('the guest echoed the OpenAI line', 60_000, () => readFileSync(serial, 'utf8').includes('OPENAI-SEEN'));
    expect(openai.screenshot?.data).not.toBe(anthropic.screenshot?.data);
    expect(Math.abs((openai.cursor?.x ?? -9) - 70)).toBeLessThanOrEqual(2);
    expect(Math.abs((openai.cursor?.y ?? -9) - 80)).toBeLessThanOrEqual(2);
    await (await orch.release(vm, mine)).done;
  }, STEP_MS);
});
