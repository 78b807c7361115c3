// A query that is a copy of an image of the collection (re-encoded, resized: a person's own copy of a photo) is
// answered with that image first. Ranking in label space cannot do it alone: every image with the same labels sits
// near the same point there, so the original ties with many others; raw features cannot either (measured on 2,995
// clothing photos: a copy's cosine to its original, 0.91-0.99, was often below its cosine to another photo). The
// 256-bit perceptual hash of the pixels (src/lib/duplicates/phash.ts) tells it: 20 copies were 0-4 bits from their
// originals and at least 74 bits from every other photo (docs/MODEL-FILE.md). The threshold is the near-duplicate
// rule's (NEAR_DUPLICATE_HAMMING, calibrated on planted copies). Pure.
import { NEAR_DUPLICATE_HAMMING } from '../duplicates/groups';
import { PHASH_WORDS } from '../duplicates/phash';

export class CopyHashes {
  constructor(
    readonly ids: string[],
    /** ids.length x PHASH_WORDS words; an image without a hash has `known` 0. */
    readonly words: Uint32Array,
    readonly known: Uint8Array,
  ) {
    if (words.length !== ids.length * PHASH_WORDS || known.length !== ids.length) throw new Error('copy hashes: sizes do not match');
  }

  /** The image the query is a copy of: the nearest hash, if within NEAR_DUPLICATE_HAMMING bits and nearer than any
   *  other image's; null otherwise. */
  copyOf(hash: ArrayLike<number>, maxBits = NEAR_DUPLICATE_HAMMING): { imageId: string; bits: number } | null {
    let best = -1,
      bestBits = Infinity,
      tie = false;
    for (let i = 0; i < this.ids.length; i++) {
      if (!this.known[i]) continue;
      let bits = 0;
      for (let w = 0; w < PHASH_WORDS; w++) bits += popcount((this.words[i * PHASH_WORDS + w] ^ hash[w]) >>> 0);
      if (bits < bestBits) {
        best = i;
        bestBits = bits;
        tie = false;
      } else if (bits === bestBits) tie = true;
    }
    return best >= 0 && !tie && bestBits <= maxBits ? { imageId: this.ids[best], bits: bestBits } : null;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
