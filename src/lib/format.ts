// Numbers as the page writes them: 10,000 with a comma between thousands, the same in every browser and in Node.
// Not Number.prototype.toLocaleString: its first call loads the browser's locale data (about 40 ms here, more on a
// slow machine), inside the page's first task.

/** An integer or a decimal number with commas between its thousands ("12,345", "1,234.5"), up to 3 decimals. */
export function countText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const rounded = Math.round(n * 1000) / 1000;
  const sign = rounded < 0 ? '-' : '';
  const [whole, fraction] = Math.abs(rounded)
    .toFixed(3)
    .replace(/\.?0+$/, '')
    .split('.');
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (fraction ? `.${fraction}` : '');
}
