// Sparse label matrix in CSR (rows = images, columns = labels, values = confidences) and the products the
// randomized SVD needs. Pure. Invariant: column indices within a row are sorted and unique; values are > 0
// (negative labels, Confidence 0, never enter the matrix).

export interface CsrMatrix {
  rows: number;
  cols: number;
  rowPtr: Int32Array; // rows + 1
  colIdx: Int32Array; // nnz
  values: Float32Array; // nnz
}

/** Builds CSR from per-row (column, value) lists; duplicate columns keep the largest value, zeros are dropped. */
export function csrFromRows(rows: { col: number; value: number }[][], cols: number): CsrMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  const cleaned = rows.map((r) => {
    const best = new Map<number, number>();
    for (const { col, value } of r) {
      if (!(value > 0)) continue;
      if (col < 0 || col >= cols) throw new Error(`column ${col} out of range`);
      best.set(col, Math.max(best.get(col) ?? 0, value));
    }
    return [...best].sort((a, b) => a[0] - b[0]);
  });
  cleaned.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.length));
  const colIdx = new Int32Array(rowPtr[rows.length]);
  const values = new Float32Array(rowPtr[rows.length]);
  cleaned.forEach((r, i) => r.forEach(([c, v], j) => ((colIdx[rowPtr[i] + j] = c), (values[rowPtr[i] + j] = v))));
  return { rows: rows.length, cols, rowPtr, colIdx, values };
}

/** Y (rows x k, row-major) = A X, with X (cols x k, row-major). */
/** The transpose of a 0/1 pattern in compressed rows (row r's columns are `ids[offsets[r]] .. ids[offsets[r + 1] - 1]`,
 *  each below `cols`): for each column its rows, ascending, as `rows[start[c]] .. rows[start[c + 1] - 1]`. A counting sort. */
export function transposePattern(offsets: Int32Array, ids: Int32Array, cols: number): { start: Int32Array; rows: Int32Array } {
  const n = offsets.length - 1;
  const start = new Int32Array(cols + 1);
  for (let j = 0; j < offsets[n]; j++) start[ids[j] + 1]++;
  for (let c = 0; c < cols; c++) start[c + 1] += start[c];
  const cursor = start.slice(0, cols);
  const rows = new Int32Array(offsets[n]);
  for (let r = 0; r < n; r++) for (let j = offsets[r]; j < offsets[r + 1]; j++) rows[cursor[ids[j]]++] = r;
  return { start, rows };
}

export function csrTimesDense(a: CsrMatrix, x: Float64Array, k: number, out: Float64Array = new Float64Array(a.rows * k)): Float64Array {
  out.fill(0);
  for (let i = 0; i < a.rows; i++) {
    const o = i * k;
    for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) {
      const v = a.values[p];
      const xo = a.colIdx[p] * k;
      for (let j = 0; j < k; j++) out[o + j] += v * x[xo + j];
    }
  }
  return out;
}

/** Y (cols x k, row-major) = A^T X, with X (rows x k, row-major). */
export function csrTransposeTimesDense(
  a: CsrMatrix,
  x: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(a.cols * k),
): Float64Array {
  out.fill(0);
  for (let i = 0; i < a.rows; i++) {
    const xo = i * k;
    for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) {
      const v = a.values[p];
      const o = a.colIdx[p] * k;
      for (let j = 0; j < k; j++) out[o + j] += v * x[xo + j];
    }
  }
  return out;
}

/** Groups identical rows (same columns and values): `unique` holds one row per group, `groupOf[i]` maps back. */
export function dedupeRows(a: CsrMatrix): { unique: CsrMatrix; groupOf: Int32Array; counts: Int32Array } {
  const keyToGroup = new Map<string, number>();
  const groupOf = new Int32Array(a.rows);
  const firstRow: number[] = [];
  for (let i = 0; i < a.rows; i++) {
    let key = '';
    for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) key += `${a.colIdx[p]}:${a.values[p]},`;
    let g = keyToGroup.get(key);
    if (g === undefined) {
      g = firstRow.length;
      keyToGroup.set(key, g);
      firstRow.push(i);
    }
    groupOf[i] = g;
  }
  const counts = new Int32Array(firstRow.length);
  for (const g of groupOf) counts[g]++;
  const rowPtr = new Int32Array(firstRow.length + 1);
  firstRow.forEach((r, g) => (rowPtr[g + 1] = rowPtr[g] + a.rowPtr[r + 1] - a.rowPtr[r]));
  const colIdx = new Int32Array(rowPtr[firstRow.length]);
  const values = new Float32Array(rowPtr[firstRow.length]);
  firstRow.forEach((r, g) => {
    colIdx.set(a.colIdx.subarray(a.rowPtr[r], a.rowPtr[r + 1]), rowPtr[g]);
    values.set(a.values.subarray(a.rowPtr[r], a.rowPtr[r + 1]), rowPtr[g]);
  });
  return { unique: { rows: firstRow.length, cols: a.cols, rowPtr, colIdx, values }, groupOf, counts };
}
