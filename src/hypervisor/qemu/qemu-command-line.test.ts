import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { parseKeyChord } from '../../domain/keys.js';
import { qemuArgs } from './qemu-command-line.js';
import { chordsForText, pngSize, scalePng, toQcode } from './qemu-console.js';
import { shellSafePath } from './save-restore.js';
import { vmPaths, type VmDefinition } from './vm-definition.js';

const def: VmDefinition = {
  version: 1, id: 'id', name: 'vm1', accel: 'tcg', machine: 'q35', cpuModel: 'qemu64', memoryMb: 256, cpus: 2,
  diskPath: '/data/odd,dir/disk.qcow2', diskFormat: 'qcow2',
  boot: { kernel: '/img/vmlinuz', initrd: '/img/initrd.gz', cmdline: 'console=ttyS0 quiet' },
  forwards: [{ guestPort: 3389, hostPort: 40001 }], vncDisplay: null, createdAt: '',
};
const paths = vmPaths('/data/odd,dir/qemu', '/tmp/hvk-x', 'vm1');

describe('qemuArgs', () => {
  it('is identical for boot and resume except for -incoming defer', () => {
    const boot = qemuArgs(def, paths, { incoming: false });
    const resume = qemuArgs(def, paths, { incoming: true });
    expect(resume.slice(0, boot.length)).toEqual(boot);
    expect(resume.slice(boot.length)).toEqual(['-incoming', 'defer']);
    expect(boot).not.toContain('-incoming');
  });

  it('backs RAM with a shared file, doubles commas in paths and forwards ports to loopback', () => {
    const args = qemuArgs(def, paths, { incoming: false }).join(' ');
    expect(args).toContain('-machine q35,memory-backend=ram0');
    expect(args).toContain('memory-backend-file,id=ram0,size=256M,mem-path=/data/odd,,dir/qemu/vm1/ram.mem,share=on');
    expect(args).toContain('file=/data/odd,,dir/disk.qcow2,');
    expect(args).toContain('hostfwd=tcp:127.0.0.1:40001-:3389');
    expect(args).toContain('name=org.hvkube.ready,id=rdyport');
    expect(args).toContain('-cpu qemu64');
    expect(args).not.toContain('-vnc');
    expect(qemuArgs({ ...def, vncDisplay: 12 }, paths, { incoming: false }).join(' ')).toContain('-vnc 127.0.0.1:12');
  });
});

describe('exec: migration paths', () => {
  it('accepts generated paths and refuses anything a shell would interpret', () => {
    expect(shellSafePath('/tmp/hvk-bench-Ab12/qemu/vm-1/state.bin')).toBe('/tmp/hvk-bench-Ab12/qemu/vm-1/state.bin');
    for (const bad of ['relative/state.bin', '/tmp/a b', '/tmp/a;rm -rf /', '/tmp/$(id)', '/tmp/../etc/passwd', "/tmp/a'b", '/tmp/a\nb']) {
      expect(() => shellSafePath(bad), bad).toThrow(/exec: migration URI/);
    }
  });
});

describe('console helpers', () => {
  it('maps canonical key names to qcodes', () => {
    expect(['enter', 'space', 'pageup', 'meta', 'a', 'f5', 'grave'].map(toQcode)).toEqual(['ret', 'spc', 'pgup', 'meta_l', 'a', 'f5', 'grave_accent']);
    expect(parseKeyChord('ctrl+alt+delete').modifiers).toEqual(['ctrl', 'alt']);
  });

  it('turns text into one chord per character and refuses what no key types', () => {
    expect(chordsForText('Hi!\n')).toEqual([
      { modifiers: ['shift'], key: 'h' }, { modifiers: [], key: 'i' }, { modifiers: ['shift'], key: '1' }, { modifiers: [], key: 'enter' },
    ]);
    expect(() => chordsForText('é')).toThrow(/cannot type/);
  });

  it('scales a PNG by nearest neighbour, keeping the aspect ratio', () => {
    const png = new PNG({ width: 4, height: 2 });
    png.data.fill(255);
    png.data.writeUInt32BE(0xff0000ff, 0);
    const scaled = scalePng(PNG.sync.write(png), 2);
    expect(pngSize(scaled)).toEqual({ width: 2, height: 1 });
    expect(PNG.sync.read(scaled).data.readUInt32BE(0)).toBe(0xff0000ff);
  });
});
