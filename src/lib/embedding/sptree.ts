// A quadtree over 2-D points in flat typed arrays, rebuilt every t-SNE iteration, and the Barnes-Hut sum of
// the t-SNE repulsive forces over it (van der Maaten 2014, "Accelerating t-SNE using tree-based algorithms").
// Pure. A node whose cell width / distance < theta is used as one point at its centre of mass.

export class QuadTree {
  // Per node: cell centre and half width, centre of mass, number of points, first child (4 consecutive) or -1,
  // and for a leaf holding one point, its index.
  cx: Float64Array;
  cy: Float64Array;
  half: Float64Array;
  massX: Float64Array;
  massY: Float64Array;
  count: Int32Array;
  child: Int32Array;
  point: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.cx = new Float64Array(capacity);
    this.cy = new Float64Array(capacity);
    this.half = new Float64Array(capacity);
    this.massX = new Float64Array(capacity);
    this.massY = new Float64Array(capacity);
    this.count = new Int32Array(capacity);
    this.child = new Int32Array(capacity);
    this.point = new Int32Array(capacity);
  }

  private grow() {
    const cap = this.cx.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as { new (n: number): T })(cap);
      b.set(a);
      return b;
    };
    this.cx = g(this.cx);
    this.cy = g(this.cy);
    this.half = g(this.half);
    this.massX = g(this.massX);
    this.massY = g(this.massY);
    this.count = g(this.count);
    this.child = g(this.child);
    this.point = g(this.point);
  }

  private node(cx: number, cy: number, half: number): number {
    if (this.size === this.cx.length) this.grow();
    const i = this.size++;
    this.cx[i] = cx;
    this.cy[i] = cy;
    this.half[i] = half;
    this.massX[i] = 0;
    this.massY[i] = 0;
    this.count[i] = 0;
    this.child[i] = -1;
    this.point[i] = -1;
    return i;
  }

  build(y: Float32Array | Float64Array, n: number) {
    this.size = 0;
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, y[2 * i]);
      maxX = Math.max(maxX, y[2 * i]);
      minY = Math.min(minY, y[2 * i + 1]);
      maxY = Math.max(maxY, y[2 * i + 1]);
    }
    const half = Math.max(maxX - minX, maxY - minY) / 2 + 1e-5;
    this.node((minX + maxX) / 2, (minY + maxY) / 2, half);
    for (let i = 0; i < n; i++) this.insert(i, y[2 * i], y[2 * i + 1]);
    for (let k = 0; k < this.size; k++) {
      if (this.count[k] > 0) {
        this.massX[k] /= this.count[k];
        this.massY[k] /= this.count[k];
      }
    }
  }

  private insert(p: number, x: number, y: number) {
    let k = 0;
    for (let depth = 0; ; depth++) {
      this.massX[k] += x;
      this.massY[k] += y;
      this.count[k]++;
      if (this.child[k] === -1) {
        if (this.count[k] === 1) {
          this.point[k] = p;
          return;
        }
        // Identical points (or too deep): keep them together in this leaf as an aggregate.
        if (depth > 48 || this.half[k] < 1e-12) return;
        // Split: move the resident point down, then continue with p.
        const resident = this.point[k];
        this.point[k] = -1;
        const h = this.half[k] / 2;
        const first = this.node(this.cx[k] - h, this.cy[k] - h, h);
        this.node(this.cx[k] + h, this.cy[k] - h, h);
        this.node(this.cx[k] - h, this.cy[k] + h, h);
        this.node(this.cx[k] + h, this.cy[k] + h, h);
        this.child[k] = first;
        if (resident >= 0) {
          const rx = (this.massX[k] - x) / (this.count[k] - 1);
          const ry = (this.massY[k] - y) / (this.count[k] - 1);
          const c = first + (rx >= this.cx[k] ? 1 : 0) + (ry >= this.cy[k] ? 2 : 0);
          this.massX[c] += rx;
          this.massY[c] += ry;
          this.count[c] = 1;
          this.point[c] = resident;
        }
      }
      k = this.child[k] + (x >= this.cx[k] ? 1 : 0) + (y >= this.cy[k] ? 2 : 0);
    }
  }

  /**
   * Adds to (fx, fy) the unnormalized repulsion sum_j q_ij^2 Z^2 (y_i - y_j) for point i and returns its share of
   * Z = sum_j q_ij Z (both with q_ij Z = 1 / (1 + |y_i - y_j|^2)).
   */
  repulsion(i: number, x: number, y: number, theta2: number, out: Float64Array, stack: Int32Array): number {
    let sumQ = 0;
    let fx = 0;
    let fy = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const k = stack[--top];
      const count = this.count[k];
      if (count === 0) continue;
      if (this.child[k] === -1 && this.point[k] === i && count === 1) continue;
      const dx = x - this.massX[k];
      const dy = y - this.massY[k];
      const d2 = dx * dx + dy * dy;
      const width = 2 * this.half[k];
      if (this.child[k] === -1 || width * width < theta2 * d2) {
        // Use the node as one body; a leaf aggregate that contains i itself excludes it.
        let m = count;
        if (this.child[k] === -1 && this.point[k] === i) m -= 1;
        if (m <= 0) continue;
        const q = 1 / (1 + d2);
        const mq = m * q;
        sumQ += mq;
        fx += mq * q * dx;
        fy += mq * q * dy;
      } else {
        const c = this.child[k];
        stack[top++] = c;
        stack[top++] = c + 1;
        stack[top++] = c + 2;
        stack[top++] = c + 3;
      }
    }
    out[0] = fx;
    out[1] = fy;
    return sumQ;
  }
}
