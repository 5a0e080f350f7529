/**
 * Validation of everything a user names or points at. Names end up as Hyper-V VM names, file
 * names on Windows and Linux, and QEMU socket names, so the rules are the strictest of those.
 * @module
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { HvkubeError } from './errors.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Device names Windows refuses as a file or folder name, with or without an extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

export type NameKind = 'template' | 'pool' | 'vm' | 'workflow' | 'host' | 'checkpoint' | 'agent';

/** Throws INVALID_NAME unless `value` is a safe name; returns it unchanged otherwise. */
export function validateName(kind: NameKind, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new HvkubeError('INVALID_NAME', `${kind} name is missing`, {
      hint: 'give a name of letters, digits, ".", "_" or "-"',
      details: { kind },
    });
  }
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  const problem = nameProblem(value);
  if (problem) {
    throw new HvkubeError('INVALID_NAME', `${kind} name ${shown} is not allowed: ${problem}`, {
      hint: 'use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
      details: { kind },
    });
  }
  return value;
}

function nameProblem(value: string): string | undefined {
  if (value.length > 63) return 'longer than 63 characters';
  if (!NAME_PATTERN.test(value)) return 'only letters, digits, ".", "_" and "-" may appear, first a letter or digit';
  if (value.endsWith('.')) return 'Windows cannot use a name that ends with "."';
  if (WINDOWS_RESERVED.test(value)) return 'it is a reserved device name on Windows';
  return undefined;
}

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && nameProblem(value) === undefined;
}

/** Disk image extensions each backend can use as a template's golden image. */
export const IMAGE_EXTENSIONS = {
  hyperv: ['.vhdx', '.vhd'],
  qemu: ['.qcow2', '.img'],
  fake: ['.vhdx', '.vhd', '.qcow2', '.img'],
} as const;

export type ImageBackend = keyof typeof IMAGE_EXTENSIONS;

export interface PathRules {
  /** Allowed extensions (lower case, with the dot); any when omitted. */
  extensions?: readonly string[];
  /** Path flavour of the host that will open the file. Default is this platform's. */
  flavour?: path.PlatformPath;
  /** Check that it exists and is a regular file. Default is true. */
  mustExist?: boolean;
}

/**
 * Throws INVALID_PATH unless `value` is an absolute, normalised path to an existing regular file
 * with an allowed extension, links followed. Returns the file's real path (the link's target),
 * so what is stored is what was checked; with `mustExist: false`, the path unchanged.
 */
export function validateFilePath(what: string, value: unknown, rules: PathRules = {}): string {
  const flavour = rules.flavour ?? path;
  const fail = (problem: string, hint: string): never => {
    throw new HvkubeError('INVALID_PATH', `${what} ${JSON.stringify(value)} ${problem}`, {
      hint,
      details: { what },
    });
  };
  if (typeof value !== 'string' || value.length === 0) return fail('is missing', 'give an absolute path');
  if (value.length > 1024) return fail('is longer than 1024 characters', 'use a shorter path');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return fail('contains control characters', 'remove them');
  if (!flavour.isAbsolute(value)) return fail('is not absolute', `give the full path, e.g. ${flavour.resolve(value)}`);
  const normalised = flavour.normalize(value);
  if (normalised !== value || value.split(/[\\/]/).includes('..')) {
    return fail('is not normalised', `use ${normalised}`);
  }
  // Missing, not a regular file, wrong extension — before or after following links — answer one
  // message, so a caller cannot learn which host files exist by trying paths.
  const unusable = (): never =>
    fail(
      rules.extensions ? `is not an existing file ending in ${rules.extensions.join(' or ')}` : 'is not an existing regular file',
      'give the absolute path of the image file itself; a link is followed and its target must pass the same checks',
    );
  const extensionOk = (p: string): boolean => !rules.extensions || rules.extensions.includes(flavour.extname(p).toLowerCase());
  if (!extensionOk(value)) return unusable();
  if (rules.mustExist === false) return value;
  let resolved: string;
  try {
    resolved = realpathSync(value);
    if (!statSync(resolved).isFile()) return unusable();
  } catch {
    return unusable();
  }
  // A link named x.vhdx to /etc/shadow is refused like /etc/shadow itself.
  if (!extensionOk(resolved)) return unusable();
  return resolved;
}

/** Throws INVALID_INPUT unless `value` is an integer within [min, max]. */
export function validateInt(what: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new HvkubeError('INVALID_INPUT', `${what} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, {
      hint: `pass a value between ${min} and ${max}`,
      details: { what, min, max },
    });
  }
  return n;
}

/**
 * The memory granularity of each backend, in MB. Hyper-V allocates guest memory in 2 MB units and
 * refuses other sizes ("The memory value assigned ('4019' MB) is not properly aligned", New-VM and
 * Set-VMMemory). QEMU takes `-m` in whole MiB and aligns to pages itself, so any MB count works.
 * The fake backend has no rule.
 */
export const MEMORY_ALIGNMENT_MB: Readonly<Record<ImageBackend, number>> = { hyperv: 2, qemu: 1, fake: 1 };

/** Throws INVALID_INPUT unless `value` is a memory size in MB within range and aligned for `backend`. */
export function validateMemoryMb(backend: ImageBackend, value: unknown, min = 64, max = 1_048_576): number {
  const mb = validateInt('memory (MB)', value, min, max);
  const unit = MEMORY_ALIGNMENT_MB[backend];
  if (mb % unit !== 0) {
    const down = mb - (mb % unit);
    throw new HvkubeError('INVALID_INPUT', `memory (MB) must be a multiple of ${unit} MB on ${backend}, got ${mb}: ${backend} refuses memory that is not aligned to ${unit} MB`, {
      hint: `use ${down} or ${down + unit}`,
      details: { what: 'memory (MB)', backend, alignmentMb: unit },
    });
  }
  return mb;
}
