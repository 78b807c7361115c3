// Thumbnails on the map once it is zoomed in far enough: for the points in view only (at most `THUMBS_IN_VIEW`), read
// from the thumbnail store through the gallery's batched reader (session/thumbs.ts), decoded once and kept in a
// bounded cache. A read that the view has moved away from is dropped before it reaches IndexedDB.
import { thumbUrl } from '../../session/thumbs';

/** Points in view at most for thumbnails to replace them (more would cover one another). */
export const THUMBS_IN_VIEW = 150;
const CACHE = 1200;

export class ThumbLayer {
  private readonly images = new Map<string, HTMLImageElement | 'loading'>();
  private wanted = new AbortController();

  constructor(private readonly onLoad: () => void) {}

  /** The decoded thumbnail for a content hash, or null while it loads (it is asked for once). */
  get(hash: string): HTMLImageElement | null {
    const hit = this.images.get(hash);
    if (hit === 'loading') return null;
    if (hit) {
      this.images.delete(hash);
      this.images.set(hash, hit);
      return hit;
    }
    this.images.set(hash, 'loading');
    const signal = this.wanted.signal;
    void thumbUrl(hash, signal).then(async (url) => {
      if (!url) return void this.images.delete(hash);
      const img = new Image();
      img.src = url;
      try {
        await img.decode();
        this.images.set(hash, img);
        this.trim();
        this.onLoad();
      } catch {
        this.images.delete(hash);
      }
    });
    return null;
  }

  /** The view moved: reads not yet started for the old view are dropped. */
  moved() {
    this.wanted.abort();
    this.wanted = new AbortController();
    for (const [hash, v] of this.images) if (v === 'loading') this.images.delete(hash);
  }

  private trim() {
    while (this.images.size > CACHE) this.images.delete(this.images.keys().next().value as string);
  }

  clear() {
    this.moved();
    this.images.clear();
  }
}

/** Draws an image centred at (x, y) fitted in a square of `size` CSS pixels, with a border of `colour`. */
export function drawThumb(
  ctx: CanvasRenderingContext2D,
  img: HTMLImageElement,
  x: number,
  y: number,
  size: number,
  colour: string,
  ring: boolean,
) {
  const k = size / Math.max(img.naturalWidth, img.naturalHeight, 1);
  const w = img.naturalWidth * k,
    h = img.naturalHeight * k;
  ctx.fillStyle = 'white';
  ctx.fillRect(x - w / 2 - 2, y - h / 2 - 2, w + 4, h + 4);
  ctx.drawImage(img, x - w / 2, y - h / 2, w, h);
  ctx.lineWidth = ring ? 3 : 1.5;
  ctx.strokeStyle = ring ? '#111827' : colour;
  ctx.strokeRect(x - w / 2 - 1.5, y - h / 2 - 1.5, w + 3, h + 3);
}
