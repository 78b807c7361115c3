// Content hash of image bytes: SHA-256 (Web Crypto, present in browsers, workers and Node), as lowercase hex.
// The feature and thumbnail caches are keyed by it, so the same bytes are never computed twice, whatever their name.
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
