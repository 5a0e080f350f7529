import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../../api/app.js';
import { HvkubeClient } from '../../client/client.js';
import { isHvkubeError } from '../../domain/errors.js';
import { harness, type Harness } from '../../../test/helpers/harness.js';
import { DEFAULT_PALETTE } from './render-text-screen.js';
import { encodeScreenshot, parsePpm, type RawFrame } from './encode.js';
import { screenshotOptionsFromQuery, screenshotQuery } from './screenshot-query.js';

const W = 64;
const H = 48;

/** A screen whose every pixel says where it is: red = x*4, green = y*4, blue 128. */
function synthetic(): RawFrame {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      data[i] = x * 4;
      data[i + 1] = y * 4;
      data[i + 2] = 128;
    }
  }
  return { width: W, height: H, channels: 3, data };
}

async function decode(image: Buffer): Promise<{ width: number; height: number; at: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    at: (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)],
  };
}

const refused = async (p: Promise<unknown>, message: RegExp): Promise<void> => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(isHvkubeError(err, 'INVALID_INPUT'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(message);
};

describe('screenshot pipeline', () => {
  it('encodes PNG, JPEG and WebP that decode to the screen size, PNG exactly', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const image = await encodeScreenshot(synthetic(), { format, ...(format === 'png' ? {} : { quality: 90 }) });
      const meta = await sharp(image).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, W, H]);
    }
    const png = await decode(await encodeScreenshot(synthetic()));
    expect(png.at(0, 0)).toEqual([0, 0, 128]);
    expect(png.at(63, 47)).toEqual([252, 188, 128]);
    // Lossy, but close: the colour at a point is still about right.
    const jpeg = await decode(await encodeScreenshot(synthetic(), { format: 'jpeg', quality: 95 }));
    const [r = 0, g = 0] = jpeg.at(40, 20);
    expect(Math.abs(r - 160)).toBeLessThan(12);
    expect(Math.abs(g - 80)).toBeLessThan(12);
  });

  it('scales to a width, a height, a longest side or into a box, keeping the aspect ratio', async () => {
    const size = async (o: Parameters<typeof encodeScreenshot>[1]): Promise<number[]> => {
      const m = await sharp(await encodeScreenshot(synthetic(), o)).metadata();
      return [m.width, m.height];
    };
    expect(await size({ width: 32 })).toEqual([32, 24]);
    expect(await size({ height: 24 })).toEqual([32, 24]);
    expect(await size({ longestSide: 16 })).toEqual([16, 12]);
    expect(await size({ width: 32, height: 16 })).toEqual([21, 16]);
    expect(await size({ width: 128 })).toEqual([128, 96]);
  });

  it('crops a region at native resolution, pixel for pixel', async () => {
    const out = await decode(await encodeScreenshot(synthetic(), { region: { x: 10, y: 5, width: 8, height: 4 } }));
    expect([out.width, out.height]).toEqual([8, 4]);
    expect(out.at(0, 0)).toEqual([40, 20, 128]);
    expect(out.at(7, 3)).toEqual([68, 32, 128]);
  });

  it('zooms a region up to the size of the whole screenshot, each screen pixel a block', async () => {
    const out = await decode(await encodeScreenshot(synthetic(), { zoom: { x: 16, y: 12, width: 16, height: 12 } }));
    expect([out.width, out.height]).toEqual([W, H]);
    // 4x enlargement: screen pixel (16+i, 12+j) fills image pixels 4i..4i+3, 4j..4j+3.
    expect(out.at(0, 0)).toEqual([64, 48, 128]);
    expect(out.at(3, 3)).toEqual([64, 48, 128]);
    expect(out.at(4, 0)).toEqual([68, 48, 128]);
    expect(out.at(63, 47)).toEqual([124, 92, 128]);
    // With a size, the zoom fills that size instead.
    const small = await sharp(await encodeScreenshot(synthetic(), { zoom: { x: 0, y: 0, width: 8, height: 6 }, width: 32 })).metadata();
    expect([small.width, small.height]).toEqual([32, 24]);
  });

  it('draws the pointer with its tip at the point, and leaves the captured pixels alone', async () => {
    const frame = synthetic();
    const before = Buffer.from(frame.data);
    const out = await decode(await encodeScreenshot(frame, { cursor: { x: 20, y: 10 } }));
    expect(out.at(20, 10)).toEqual([0, 0, 0]);
    expect(out.at(21, 12)).toEqual([255, 255, 255]);
    expect(out.at(19, 10)).toEqual([76, 40, 128]);
    expect(frame.data.equals(before)).toBe(true);
    // `true` draws where the backend says the pointer is, the centre when it does not know.
    const known = await decode(await encodeScreenshot(synthetic(), { cursor: true }, { pointer: { x: 5, y: 6 } }));
    expect(known.at(5, 6)).toEqual([0, 0, 0]);
    const centre = await decode(await encodeScreenshot(synthetic(), { cursor: true }));
    expect(centre.at(32, 24)).toEqual([0, 0, 0]);
  });

  it('refuses bad options with a message that says what to change', async () => {
    await refused(encodeScreenshot(synthetic(), { region: { x: 60, y: 0, width: 8, height: 8 } }), /beyond the 64x48 screen/);
    await refused(encodeScreenshot(synthetic(), { zoom: { x: 0, y: 40, width: 8, height: 9 } }), /beyond/);
    await refused(encodeScreenshot(synthetic(), { quality: 50 }), /jpeg and webp only/);
    await refused(encodeScreenshot(synthetic(), { format: 'jpeg', quality: 0 }), /quality/);
    await refused(encodeScreenshot(synthetic(), { width: 8 }), /width/);
    await refused(encodeScreenshot(synthetic(), { width: 32, longestSide: 32 }), /not both/);
    await refused(encodeScreenshot(synthetic(), { region: { x: 0, y: 0, width: 4, height: 4 }, zoom: { x: 0, y: 0, width: 4, height: 4 } }), /not both/);
    await refused(encodeScreenshot(synthetic(), { format: 'gif' as 'png' }), /format/);
    await refused(encodeScreenshot(synthetic(), { region: { x: -1, y: 0, width: 4, height: 4 } }), /region x/);
  });

  it('reads options from a query and writes them back the same', () => {
    const options = screenshotOptionsFromQuery({ format: 'webp', quality: '70', longest_side: '1024', zoom: '1,2,300,200', cursor: '5,6' });
    expect(options).toEqual({ format: 'webp', quality: 70, longestSide: 1024, zoom: { x: 1, y: 2, width: 300, height: 200 }, cursor: { x: 5, y: 6 } });
    expect(screenshotOptionsFromQuery(screenshotQuery(options))).toEqual(options);
    expect(() => screenshotOptionsFromQuery({ region: '1,2,3' })).toThrow(/X,Y,WIDTH,HEIGHT/);
    expect(() => screenshotOptionsFromQuery({ cursor: 'yes' })).toThrow(/cursor/);
  });

  it('parses the PPM dumps QEMU writes', () => {
    const frame = parsePpm(Buffer.concat([Buffer.from('P6\n3 1\n255\n', 'latin1'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])]));
    expect(frame).toMatchObject({ width: 3, height: 1, channels: 3 });
  });
});

describe('screenshots through the fake backend and the API', () => {
  let h: Harness | null = null;
  let api: Api | null = null;
  afterEach(async () => {
    await api?.close();
    await h?.close();
    api = null;
    h = null;
  });

  it('answers each format with its Content-Type, crops the real screen, and refuses a region off the screen with 400', async () => {
    h = await harness();
    await h.pool('p', 1);
    api = createApi({ orchestrator: h.orch });
    const a = api;
    const client = new HvkubeClient({ url: 'http://127.0.0.1:8080', fetch: (input, init) => a.app.request(input, init) });
    const got = await client.acquire({ pool: 'p' });
    const vm = got.vm_name;
    for (const [format, type] of [['png', 'image/png'], ['jpeg', 'image/jpeg'], ['webp', 'image/webp']] as const) {
      const res = await a.app.request(`http://127.0.0.1:8080/api/v1/vms/${vm}/screenshot?format=${format}&width=320`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      // The fake screen is 640x400: scaled to 320 wide, the aspect ratio holds.
      expect([meta.format, meta.width, meta.height]).toEqual([format, 320, 200]);
    }
    // The title bar (row 0) is drawn in the inverse background: a region of it is all that colour.
    const region = await decode(Buffer.from(await client.screenshot(vm, { region: { x: 600, y: 0, width: 40, height: 16 }, leaseId: got.lease_id })));
    expect([region.width, region.height]).toEqual([40, 16]);
    expect(region.at(30, 8)).toEqual([...DEFAULT_PALETTE.inverseBackground]);

    const off = await a.app.request(`http://127.0.0.1:8080/api/v1/vms/${vm}/screenshot?region=600,0,80,16`);
    expect(off.status).toBe(400);
    const body = (await off.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.message).toMatch(/beyond the 640x400 screen/);
    for (const bad of ['format=gif', 'quality=80', 'region=1,2,3', 'width=5', 'cursor=maybe', 'width=100&longest_side=100']) {
      const res = await a.app.request(`http://127.0.0.1:8080/api/v1/vms/${vm}/screenshot?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    // The client refuses bad options before sending anything.
    await expect(client.screenshot(vm, { format: 'png', quality: 50 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
