/** A binary min-heap of values ordered by (key, seq): equal keys come out in the order pushed. */
export class MinHeap<T> {
  private keys: number[] = [];
  private seqs: number[] = [];
  private values: T[] = [];

  get size(): number {
    return this.values.length;
  }

  peekKey(): number {
    return this.keys[0];
  }

  push(key: number, seq: number, value: T): void {
    let i = this.values.length;
    this.keys.push(key);
    this.seqs.push(seq);
    this.values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): T {
    const top = this.values[0];
    const last = this.values.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.seqs.pop();
    this.values.pop();
    let i = 0;
    const n = this.values.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(l, smallest)) smallest = l;
      if (r < n && this.less(r, smallest)) smallest = r;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.seqs[a] < this.seqs[b]);
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b], this.seqs[a]];
    [this.values[a], this.values[b]] = [this.values[b], this.values[a]];
  }
}
