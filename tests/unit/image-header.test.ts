import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { imageInfo } from '../../src/lib/ingest/image-header';
import { ROOT } from '../fixtures/make-shard';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const pad = (b: Uint8Array, n = 64) => Uint8Array.from([...b, ...new Array(Math.max(0, n - b.length)).fill(0)]);

/** A JPEG header: SOI, an optional APP1 Exif segment with one orientation entry, then SOF (baseline or progressive). */
function jpegHeader(width: number, height: number, { orientation = 0, little = false, sof = 0xc0 } = {}) {
  const exif: number[] = [];
  if (orientation) {
    const w16 = (v: number) => (little ? [v & 255, v >> 8] : [v >> 8, v & 255]);
    const w32 = (v: number) =>
      little ? [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24] : [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255];
    const tiff = [
      ...bytes(little ? 'II' : 'MM'),
      ...w16(42),
      ...w32(8),
      ...w16(1),
      ...w16(0x0112),
      ...w16(3),
      ...w32(1),
      ...w16(orientation),
      0,
      0,
      ...w32(0),
    ];
    const payload = [...bytes('Exif'), 0, 0, ...tiff];
    exif.push(0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload);
  }
  const app0 = [0xff, 0xe0, 0, 16, ...bytes('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sofSeg = [0xff, sof, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return pad(Uint8Array.from([0xff, 0xd8, ...app0, ...exif, ...sofSeg, 0xff, 0xda]));
}

describe('image headers', () => {
  it("reads a JPEG's size from its frame header, and its EXIF orientation in either byte order", () => {
    expect(imageInfo(jpegHeader(1600, 1200))).toEqual({ type: 'image/jpeg', width: 1600, height: 1200, orientation: 1 });
    expect(imageInfo(jpegHeader(4032, 3024, { orientation: 6 }))).toMatchObject({ width: 4032, height: 3024, orientation: 6 });
    expect(imageInfo(jpegHeader(640, 480, { orientation: 8, little: true, sof: 0xc2 }))).toMatchObject({ width: 640, orientation: 8 });
    // Cut before the frame header: unknown, so the image is decoded whole.
    expect(imageInfo(jpegHeader(1600, 1200).subarray(0, 24))).toBeNull();
  });

  it('reads PNG, GIF, WebP (lossy, lossless, extended) and BMP sizes, and refuses what it does not know', () => {
    const emoji = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');
    const png = readFileSync(
      join(
        emoji,
        readdirSync(emoji).find((f) => f.endsWith('.png'))!,
      ),
    );
    expect(imageInfo(png)).toEqual({ type: 'image/png', width: 64, height: 64, orientation: 1 });
    expect(imageInfo(pad(bytes('GIF89a', [0x40, 0x01, 0xf0, 0x00])))).toMatchObject({ type: 'image/gif', width: 320, height: 240 });
    const riff = (chunk: string, body: number[]) => pad(bytes('RIFF', [0, 0, 0, 0], 'WEBP', chunk, [0, 0, 0, 0], body));
    expect(imageInfo(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]))).toMatchObject({ width: 640, height: 480 });
    const lossless = (99 & 0x3fff) | ((49 & 0x3fff) << 14);
    expect(imageInfo(riff('VP8L', [0x2f, lossless & 255, (lossless >> 8) & 255, (lossless >> 16) & 255, lossless >>> 24]))).toMatchObject({
      width: 100,
      height: 50,
    });
    expect(imageInfo(riff('VP8X', [0, 0, 0, 0, 0x7f, 0x07, 0, 0x37, 0x04, 0]))).toMatchObject({ width: 1920, height: 1080 });
    expect(imageInfo(pad(bytes('BM', new Array(16).fill(0), [0x20, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff])))).toMatchObject({
      type: 'image/bmp',
      width: 32,
      height: 16,
    });
    expect(imageInfo(pad(bytes('not an image at all')))).toBeNull();
    expect(imageInfo(new Uint8Array(10))).toBeNull();
  });
});
