/**
 * The fake guest is part of the VM's state: saved with it (also across processes through the
 * state file), captured by a checkpoint and put back by its restore.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHvkubeError } from '../../domain/errors.js';
import { createFakeHypervisor, type FakeHypervisor } from './index.js';

let dir: string;
const open: FakeHypervisor[] = [];

function fake(): FakeHypervisor {
  const hv = createFakeHypervisor({ stateFile: path.join(dir, 'host.json') });
  open.push(hv);
  return hv;
}

async function runningVm(hv: FakeHypervisor, name: string): Promise<void> {
  const parent = path.join(dir, 'golden.vhdx');
  writeFileSync(parent, 'g');
  const disk = hv.diskPathFor(name, parent);
  await hv.createDifferencingDisk(parent, disk);
  await hv.createVm({ name, diskPath: disk, memoryMb: 1024, cpus: 1, gpu: false, guestPorts: [], boot: null });
  await hv.start(name);
}

afterEach(async () => {
  for (const hv of open.splice(0)) await hv.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fake guest state', () => {
  it('is captured by a checkpoint and put back by its restore; a reboot keeps files and clears the clipboard', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-fake-guest-'));
    const hv = fake();
    const guest = hv.guest;
    if (!guest) throw new Error('the fake has a guest channel by default');
    await runningVm(hv, 'g1');
    await guest.writeFile('g1', '/tmp/clean.txt', Buffer.from('clean'));
    await hv.checkpoint('g1', 'clean');
    await guest.writeFile('g1', '/tmp/dirty.txt', Buffer.from('dirty'));
    await guest.setClipboard('g1', 'dirty clip');
    expect((await guest.listFiles('g1', '/tmp')).map((e) => e.name)).toEqual(['clean.txt', 'dirty.txt']);

    expect(await hv.restoreCheckpoint('g1', 'clean')).toBe('saved');
    expect(isHvkubeError(await guest.exec('g1', { argv: ['echo'], timeoutMs: 100 }).catch((e: unknown) => e), 'GUEST_UNAVAILABLE')).toBe(true);
    await hv.start('g1');
    expect((await guest.listFiles('g1', '/tmp')).map((e) => e.name)).toEqual(['clean.txt']);
    expect(await guest.getClipboard('g1')).toBe('');

    // Another process sees the same guest through the state file.
    const other = fake();
    expect((await other.guest?.readFile('g1', '/tmp/clean.txt', { maxBytes: 10 }))?.toString()).toBe('clean');

    await guest.setClipboard('g1', 'before reboot');
    await hv.stop('g1', { force: true });
    await hv.start('g1');
    expect(await guest.getClipboard('g1')).toBe('');
    expect((await guest.readFile('g1', '/tmp/clean.txt', { maxBytes: 10 })).toString()).toBe('clean');
  });

  it('keeps each VM\'s guest to itself', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-fake-guest-'));
    const hv = fake();
    await runningVm(hv, 'a1');
    await runningVm(hv, 'b1');
    await hv.guest?.writeFile('a1', '/tmp/only-a', Buffer.from('a'));
    expect(isHvkubeError(await hv.guest?.readFile('b1', '/tmp/only-a', { maxBytes: 10 }).catch((e: unknown) => e), 'GUEST_PATH_NOT_FOUND')).toBe(true);
  });
});
