// What an image file says about itself in its first bytes: its type, its pixel size and (JPEG) its EXIF
// orientation, without decoding it. Pure. The ingest uses it to decode a photo straight at its thumbnail's size
// (a JPEG decodes at 1/2, 1/4 or 1/8 scale directly: about twice as fast as a full decode for a 2-megapixel photo);
// anything this does not recognise, or a rotated JPEG, is decoded whole as before.

export interface ImageInfo {
  type: 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/bmp';
  width: number;
  height: number;
  /** EXIF orientation (1 = as stored; 2-8 flip or rotate); 1 where the format has none. */
  orientation: number;
}

const u16be = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u16le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32be = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u32le = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));

/** The EXIF orientation in an APP1 segment's payload (starting at "Exif\0\0"), or 1. */
function exifOrientation(b: Uint8Array, start: number, end: number): number {
  if (ascii(b, start, 4) !== 'Exif') return 1;
  const tiff = start + 6;
  if (tiff + 8 > end) return 1;
  const little = ascii(b, tiff, 2) === 'II';
  const r16 = (o: number) => (little ? u16le(b, o) : u16be(b, o));
  const r32 = (o: number) => (little ? u32le(b, o) : u32be(b, o));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = r16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (r16(entry) === 0x0112) {
      const value = r16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

function jpeg(b: Uint8Array): ImageInfo | null {
  let o = 2;
  let orientation = 1;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const length = u16be(b, o + 2);
    if (length < 2) return null;
    if (marker === 0xe1) orientation = exifOrientation(b, o + 4, Math.min(b.length, o + 2 + length));
    // Start of frame (baseline, progressive, ...), not DHT (c4), JPG (c8) or DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (o + 9 > b.length) return null;
      return { type: 'image/jpeg', height: u16be(b, o + 5), width: u16be(b, o + 7), orientation };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    o += 2 + length;
  }
  return null;
}

function webp(b: Uint8Array): ImageInfo | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30)
    return { type: 'image/webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff, orientation: 1 };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = u32le(b, 21);
    return { type: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1, orientation: 1 };
  }
  if (chunk === 'VP8X' && b.length >= 30) {
    const w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return { type: 'image/webp', width: w, height: h, orientation: 1 };
  }
  return null;
}

/** The file's type and size from its header, or null when it is not one of the five formats or is cut short. */
export function imageInfo(b: Uint8Array): ImageInfo | null {
  if (b.length < 26) return null;
  let info: ImageInfo | null = null;
  if (b[0] === 0xff && b[1] === 0xd8) info = jpeg(b);
  else if (b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR')
    info = { type: 'image/png', width: u32be(b, 16), height: u32be(b, 20), orientation: 1 };
  else if (ascii(b, 0, 4) === 'GIF8') info = { type: 'image/gif', width: u16le(b, 6), height: u16le(b, 8), orientation: 1 };
  else if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') info = webp(b);
  else if (ascii(b, 0, 2) === 'BM')
    info = { type: 'image/bmp', width: u32le(b, 18) | 0, height: Math.abs(u32le(b, 22) | 0), orientation: 1 };
  return info && info.width > 0 && info.height > 0 && info.width < 1 << 16 && info.height < 1 << 16 ? info : null;
}
