import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHvkubeError } from './errors.js';
import { isValidName, validateFilePath, validateInt, validateMemoryMb, validateName } from './validation.js';
import { HOSTILE_NAMES } from '../../test/helpers/hostile.js';


describe('names', () => {
  it.each(HOSTILE_NAMES)('rejects %j', (name) => {
    expect(isValidName(name)).toBe(false);
    let thrown: unknown;
    try {
      validateName('pool', name);
    } catch (e) {
      thrown = e;
    }
    expect(isHvkubeError(thrown, 'INVALID_NAME')).toBe(true);
    expect((thrown as Error).message).toMatch(/pool name/);
  });

  it.each(['a', 'win11', 'Pool-1', 'a.b_c-d', 'x'.repeat(63), '0day'])('accepts %j', (name) => {
    expect(validateName('template', name)).toBe(name);
  });

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['a']]) expect(() => validateName('vm', v)).toThrow(/vm name/);
  });
});

describe('paths', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-val-'));
  const vhdx = path.join(dir, 'golden.vhdx');
  writeFileSync(vhdx, 'x');
  mkdirSync(path.join(dir, 'folder.vhdx'));
  writeFileSync(path.join(dir, 'shadow'), 'root:secret');
  symlinkSync(path.join(dir, 'shadow'), path.join(dir, 'shadow.vhdx'));
  symlinkSync(path.join(dir, 'gone.vhdx'), path.join(dir, 'dangling.vhdx'));
  symlinkSync(vhdx, path.join(dir, 'current.vhdx'));

  it('accepts an absolute, normalised path to an existing file with a known extension', () => {
    expect(validateFilePath('disk', vhdx, { extensions: ['.vhdx'] })).toBe(vhdx);
  });

  it('follows a link to an image and answers the image itself', () => {
    expect(validateFilePath('disk', path.join(dir, 'current.vhdx'), { extensions: ['.vhdx'] })).toBe(vhdx);
  });

  it('answers one message whether a path is missing, not a file or of the wrong kind: no probing host files', () => {
    const messages = ['nope.vhdx', 'folder.vhdx', 'shadow.vhdx', 'dangling.vhdx'].map((f) => {
      try {
        validateFilePath('disk', path.join(dir, f), { extensions: ['.vhdx'] });
      } catch (e) {
        return (e as Error).message.replace(f, 'F');
      }
      return 'accepted';
    });
    expect(new Set(messages).size).toBe(1);
  });

  it.each([
    ['relative', 'golden.vhdx', /not absolute/],
    ['traversal', `${dir}/../${path.basename(dir)}/golden.vhdx`, /not normalised/],
    ['missing', path.join(dir, 'nope.vhdx'), /is not an existing file ending in \.vhdx or \.vhd$/],
    ['directory', path.join(dir, 'folder.vhdx'), /is not an existing file ending in \.vhdx or \.vhd$/],
    ['wrong extension', path.join(dir, 'golden.iso'), /is not an existing file ending in \.vhdx or \.vhd$/],
    ['link to a host file', path.join(dir, 'shadow.vhdx'), /is not an existing file ending in \.vhdx or \.vhd$/],
    ['link to a missing file', path.join(dir, 'dangling.vhdx'), /is not an existing file ending in \.vhdx or \.vhd$/],
    ['control characters', `${dir}/gold\nen.vhdx`, /control characters/],
    ['empty', '', /missing/],
  ])('rejects a %s path', (_what, p, message) => {
    expect(() => validateFilePath('disk', p, { extensions: ['.vhdx', '.vhd'] })).toThrow(message);
  });

  it('checks Windows paths with the Windows flavour', () => {
    expect(() => validateFilePath('disk', 'C:\\VMs\\..\\x.vhdx', { flavour: path.win32, mustExist: false, extensions: ['.vhdx'] })).toThrow(/not normalised/);
    expect(validateFilePath('disk', 'C:\\VMs\\x.vhdx', { flavour: path.win32, mustExist: false, extensions: ['.vhdx'] })).toBe('C:\\VMs\\x.vhdx');
    expect(() => validateFilePath('disk', 'VMs\\x.vhdx', { flavour: path.win32, mustExist: false })).toThrow(/not absolute/);
  });
});

describe('numbers', () => {
  it.each([[-1], [1e12], [1.5], ['12abc'], [NaN], [null], ['']])('rejects %j', (v) => {
    expect(() => validateInt('memory', v, 64, 1_048_576)).toThrow(/memory must be a whole number/);
  });
  it('accepts numbers and numeric strings in range', () => {
    expect(validateInt('cpus', '4', 1, 64)).toBe(4);
    expect(validateInt('cpus', 64, 1, 64)).toBe(64);
  });
});

describe('memory sizes', () => {
  it('refuses on Hyper-V what is not a multiple of 2 MB, naming the nearest valid sizes', () => {
    try {
      validateMemoryMb('hyperv', 4019);
      expect.unreachable();
    } catch (e) {
      expect(isHvkubeError(e) && e.code).toBe('INVALID_INPUT');
      expect(String(e)).toMatch(/multiple of 2 MB on hyperv, got 4019/);
      expect(isHvkubeError(e) && e.hint).toBe('use 4018 or 4020');
    }
    expect(validateMemoryMb('hyperv', 4096)).toBe(4096);
  });

  it('accepts any whole MB on QEMU and the fake backend, within the same range', () => {
    expect(validateMemoryMb('qemu', 4019)).toBe(4019);
    expect(validateMemoryMb('fake', 1025)).toBe(1025);
    expect(() => validateMemoryMb('qemu', 63)).toThrow(/from 64/);
  });
});
