// Saves a Blob as a file through the browser's download (a temporary object URL on a clicked link).

/** How long a "Saved …" line stays beside the button that saved the file. */
export const SAVED_NOTE_MS = 8000;

/** Clears a "Saved …" line after SAVED_NOTE_MS (it is news, not state; the browser's downloads keep the name); the
 *  returned function cancels it, as an $effect's cleanup. */
export function clearLater(clear: () => void): () => void {
  const t = setTimeout(clear, SAVED_NOTE_MS);
  return () => clearTimeout(t);
}

export function download(file: Blob, name: string) {
  const url = URL.createObjectURL(file);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
