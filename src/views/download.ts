// Saves a Blob as a file through the browser's download (a temporary object URL on a clicked link).
export function download(file: Blob, name: string) {
  const url = URL.createObjectURL(file);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
