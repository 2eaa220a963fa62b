// Remembers which strings were seen, and a whole number with each, for sets as large as the keys
// of a million-row import: a Map of strings costs about 90 bytes a key of live heap (150 MB for the
// 1.7 million usernames, employee ids and emails of a million people); this costs 12 bytes a slot,
// at most 4 slots a key (50 MB there), outside the garbage-collected heap. Keys are kept as 64-bit
// fingerprints (open addressing, linear probing): two different keys share one with a probability
// of about n² / 2⁶⁵, one in ten million for a million-row import. The slots are split into 64
// tables by the fingerprint's top bits, each growing on its own: a growth copies one table, so the
// old and the new slots of the whole set are never held at once (75 MB for a moment, there).

/** cyrb53's mixing, kept to its full 64 bits: two 32-bit halves. */
function fingerprintOf(text: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** Tables (a power of two), chosen by a fingerprint's top bits. */
const TABLES = 64;
const TABLE_SHIFT = 32 - Math.log2(TABLES);

export class SeenKeys {
  private readonly tables = Array.from({ length: TABLES }, () => new SeenTable());
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The number stored with `key`, or undefined if it was never set. */
  get(key: string): number | undefined {
    const [high, low] = fingerprintOf(key);
    return this.tables[high >>> TABLE_SHIFT]!.get(high, low);
  }

  /** `value`: a whole number from 0 to 2³¹ − 2 (a line number). */
  set(key: string, value: number): void {
    const [high, low] = fingerprintOf(key);
    if (this.tables[high >>> TABLE_SHIFT]!.set(high, low, value)) this.count += 1;
  }
}

/** One table: open addressing, linear probing, at most half full. */
class SeenTable {
  private high = new Uint32Array(64);
  private low = new Uint32Array(64);
  /** The value plus one; 0 marks an empty slot. */
  private values = new Int32Array(64);
  private count = 0;

  get(high: number, low: number): number | undefined {
    const slot = this.find(high, low);
    return this.values[slot] === 0 ? undefined : this.values[slot]! - 1;
  }

  /** True when the fingerprint is new to the table. */
  set(high: number, low: number, value: number): boolean {
    const slot = this.find(high, low);
    const added = this.values[slot] === 0;
    if (added) this.count += 1;
    this.high[slot] = high;
    this.low[slot] = low;
    this.values[slot] = value + 1;
    if (this.count * 2 > this.values.length) this.grow();
    return added;
  }

  /** The slot holding this fingerprint, or the empty slot where it would go. */
  private find(high: number, low: number): number {
    const mask = this.values.length - 1;
    let slot = low & mask;
    while (this.values[slot] !== 0 && (this.high[slot] !== high || this.low[slot] !== low)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { high, low, values } = this;
    this.high = new Uint32Array(values.length * 2);
    this.low = new Uint32Array(values.length * 2);
    this.values = new Int32Array(values.length * 2);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) continue;
      const slot = this.find(high[i]!, low[i]!);
      this.high[slot] = high[i]!;
      this.low[slot] = low[i]!;
      this.values[slot] = values[i]!;
    }
  }
}
