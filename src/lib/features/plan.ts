// Which images of a shard an extraction computes. Pure. An image whose content hash has features for the model
// is cached; of the rest, images with identical bytes share one forward pass (the first path found computes it).

export interface ExtractionPlan {
  /** Path in the source -> the content to compute, one entry per distinct uncached content. */
  wanted: Map<string, { hash: string; imageId: string }>;
  /** Images whose features are already stored. */
  cached: number;
  /** Uncached images whose bytes equal another queued image's: computed by that one's forward pass. */
  duplicatesOfQueued: number;
}

export function planExtraction(images: { path: string; hash: string; imageId: string }[], stored: Set<string>): ExtractionPlan {
  const wanted = new Map<string, { hash: string; imageId: string }>();
  const queued = new Set<string>();
  let cached = 0;
  for (const im of images) {
    if (stored.has(im.hash)) cached++;
    else if (!queued.has(im.hash)) {
      queued.add(im.hash);
      wanted.set(im.path, { hash: im.hash, imageId: im.imageId });
    }
  }
  return { wanted, cached, duplicatesOfQueued: images.length - cached - wanted.size };
}
