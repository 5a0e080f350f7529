/**
 * Work on a guest's screen and inside it (`npm run bench:guest`). Each section is a function that
 * returns rows of one table; add a section to `SECTIONS` to add rows. Writes bench/results/guest.json.
 *
 * Screenshot encode: the shared pipeline (console/encode.ts, sharp) from raw screen pixels to
 * each format, at the screen sizes agents meet and the scaled sizes they ask for; p50 and p95 of
 * `ENCODE_ROUNDS` encodes each (after one warm-up), with the image size. The pixels are a
 * desktop-like picture (flat areas, text-like detail), the same for every row.
 */
import os from 'node:os';
import { encodeScreenshot, type RawFrame } from '../src/hypervisor/console/encode.js';
import type { ImageFormat, ScreenshotOptions } from '../src/hypervisor/hypervisor.js';
import { percentile, printTable, round, writeResult } from './_stats.js';

const ENCODE_ROUNDS = Number(process.env.BENCH_ENCODE_ROUNDS ?? 20);

interface Row {
  section: string;
  case: string;
  p50_ms: number;
  p95_ms: number;
  detail: string;
}

interface Section {
  name: string;
  run: () => Promise<Row[]>;
}

/** A desktop-like screen: a gradient wallpaper, windows with title bars and lines of "text". */
function desktop(width: number, height: number): RawFrame {
  const data = Buffer.alloc(width * height * 3);
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = 20 + Math.floor((x / width) * 60);
      data[i + 1] = 60 + Math.floor((y / height) * 80);
      data[i + 2] = 120;
    }
  }
  for (let w = 0; w < 6; w++) {
    const wx = Math.floor(rand() * width * 0.6);
    const wy = Math.floor(rand() * height * 0.6);
    const ww = Math.floor(width * 0.35);
    const wh = Math.floor(height * 0.35);
    for (let y = wy; y < Math.min(height, wy + wh); y++) {
      for (let x = wx; x < Math.min(width, wx + ww); x++) {
        const i = (y * width + x) * 3;
        const title = y - wy < 24;
        // Text-like detail: short dark runs on every other 16-pixel line.
        const text = !title && ((y - wy) % 16) < 9 && ((y - wy) % 16) > 2 && rand() < 0.35;
        const v = title ? 60 : text ? 30 : 245;
        data[i] = v;
        data[i + 1] = v;
        data[i + 2] = title ? 160 : v;
      }
    }
  }
  return { width, height, channels: 3, data };
}

async function encodeSection(): Promise<Row[]> {
  const screens = [
    [1024, 768],
    [1920, 1080],
  ] as const;
  const asks: { label: string; options: ScreenshotOptions }[] = [
    { label: 'native', options: {} },
    { label: 'width 1024 (XGA)', options: { width: 1024 } },
    { label: 'longest side 512', options: { longestSide: 512 } },
    { label: 'zoom 400x300', options: { zoom: { x: 100, y: 100, width: 400, height: 300 } } },
  ];
  const formats: ImageFormat[] = ['png', 'jpeg', 'webp'];
  const rows: Row[] = [];
  for (const [w, h] of screens) {
    const frame = desktop(w, h);
    for (const ask of asks) {
      if (ask.label.startsWith('width 1024') && w === 1024) continue;
      for (const format of formats) {
        const options: ScreenshotOptions = { ...ask.options, format };
        let bytes = 0;
        await encodeScreenshot(frame, options);
        const ms: number[] = [];
        for (let i = 0; i < ENCODE_ROUNDS; i++) {
          const t = performance.now();
          bytes = (await encodeScreenshot(frame, options)).length;
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        rows.push({
          section: 'screenshot encode',
          case: `${w}x${h} → ${ask.label}, ${format}`,
          p50_ms: round(percentile(ms, 50), 1),
          p95_ms: round(percentile(ms, 95), 1),
          detail: `${Math.round(bytes / 1024)} KiB`,
        });
      }
    }
  }
  return rows;
}

/** The sections of this benchmark, in order: add rows by adding a section. */
export const SECTIONS: Section[] = [{ name: 'screenshot encode', run: encodeSection }];

async function main(): Promise<void> {
  const only = process.env.BENCH_GUEST_ONLY;
  const rows: Row[] = [];
  for (const section of SECTIONS) {
    if (only && section.name !== only) continue;
    process.stderr.write(`${section.name}...\n`);
    rows.push(...(await section.run()));
  }
  console.log(`\nbench:guest on ${os.cpus().length} CPUs (load ${os.loadavg()[0]?.toFixed(1)}), ${ENCODE_ROUNDS} rounds per encode row\n`);
  printTable(['section', 'case', 'p50 ms', 'p95 ms', 'detail'], rows.map((r) => [r.section, r.case, r.p50_ms, r.p95_ms, r.detail]));
  const file = writeResult('guest.json', { generated_at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, load_1m: os.loadavg()[0], rows });
  console.log(`\nwrote ${file}`);
}

await main();
