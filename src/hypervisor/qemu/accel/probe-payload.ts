/**
 * The probe's guest: a 64 KiB firmware image (`-bios`) whose reset vector jumps to a few bytes
 * of real-mode code that writes a marker to the first serial port and halts. It runs the first
 * guest instruction QEMU would run, without SeaBIOS or a kernel, so the probe costs one process
 * start. Whether the CPU model fits the host is QEMU's `enforce` check (see kvm-probe.ts).
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PROBE_MARKER = 'HVKUBE-PROBE-OK';

const IMAGE_SIZE = 0x10000;
const CODE_OFFSET = 0xff00;
/** Where the CPU starts: 16 bytes below the top of the image (F000:FFF0). */
const RESET_VECTOR = 0xfff0;

/** The firmware image, bytes. */
export function probeFirmware(): Buffer {
  const image = Buffer.alloc(IMAGE_SIZE, 0xff);
  const code: number[] = [0xba, 0xf8, 0x03]; // mov dx, 0x3f8 (COM1)
  for (const byte of Buffer.from(`${PROBE_MARKER}\n`, 'ascii')) code.push(0xb0, byte, 0xee); // mov al, byte; out dx, al
  code.push(0xfa, 0xf4, 0xeb, 0xfd); // cli; hlt; jmp back to hlt
  Buffer.from(code).copy(image, CODE_OFFSET);
  const rel = (CODE_OFFSET - (RESET_VECTOR + 3)) & 0xffff; // jmp near rel16
  Buffer.from([0xe9, rel & 0xff, rel >> 8]).copy(image, RESET_VECTOR);
  return image;
}

/** Writes the image to `dir/probe-firmware.bin` unless it is there already; answers its path. */
export async function writeProbeFirmware(dir: string): Promise<string> {
  const file = path.join(dir, 'probe-firmware.bin');
  const image = probeFirmware();
  const current = await readFile(file).catch(() => null);
  if (current?.equals(image)) return file;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, image);
  await rename(tmp, file);
  return file;
}
