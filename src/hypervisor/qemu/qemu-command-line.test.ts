import { describe, expect, it } from 'vitest';
import { parseKeyChord } from '../../domain/keys.js';
import { qemuArgs } from './qemu-command-line.js';
import { chordsForText, toQcode } from './qemu-console.js';
import { parsePpm } from '../console/encode.js';
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

  it('reads the PPM screen dump QEMU writes, and refuses anything else', () => {
    const pixels = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const frame = parsePpm(Buffer.concat([Buffer.from('P6\n# qemu\n2 2\n255\n', 'latin1'), pixels]));
    expect(frame).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect([...frame.data]).toEqual([...pixels]);
    expect(() => parsePpm(Buffer.concat([Buffer.from('P6 2 2 255\n', 'latin1'), pixels.subarray(0, 6)]))).toThrow(/PPM/);
    expect(() => parsePpm(Buffer.from('\x89PNG\r\n', 'latin1'))).toThrow(/PPM/);
  });
});
