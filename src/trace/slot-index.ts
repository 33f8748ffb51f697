/**
 * Message id → ring slot, as an open-addressing hash table over typed arrays
 * (linear probing, backward-shift deletion). A `Map` of 10,000 string keys
 * that changes on every message cost ~4 µs per message (its large backing
 * store is rehashed and rescanned by the garbage collector as it churns);
 * this costs a hash of the id and a few array writes, and allocates nothing.
 */
export class SlotIndex {
  /** Ring slot + 1 per bucket; 0 is empty. */
  readonly #slots: Int32Array;
  readonly #hashes: Int32Array;
  readonly #mask: number;

  /** `capacity`: the most ids held at once; the table is at most half full. */
  constructor(capacity: number) {
    let size = 2;
    while (size < capacity * 2) size *= 2;
    this.#slots = new Int32Array(size);
    this.#hashes = new Int32Array(size);
    this.#mask = size - 1;
  }

  /**
   * The slot of the id `key.slice(0, end)` (a prefix, so a job id finds its
   * message without a new string), or -1. `idOf(slot)` is the id the ring
   * holds in that slot.
   */
  get(key: string, end: number, idOf: (slot: number) => string | undefined): number {
    const hash = hashId(key, end);
    for (let i = hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const entry = this.#slots[i] ?? 0;
      if (entry === 0) return -1;
      if (this.#hashes[i] !== hash) continue;
      const id = idOf(entry - 1);
      if (id !== undefined && id.length === end && key.startsWith(id)) return entry - 1;
    }
  }

  /** Adds an id that is not in the index. */
  add(id: string, slot: number): void {
    const hash = hashId(id, id.length);
    let i = hash & this.#mask;
    while ((this.#slots[i] ?? 0) !== 0) i = (i + 1) & this.#mask;
    this.#slots[i] = slot + 1;
    this.#hashes[i] = hash;
  }

  /** Removes the id held in `slot`, if indexed. */
  remove(id: string, slot: number): void {
    const hash = hashId(id, id.length);
    let i = hash & this.#mask;
    for (;;) {
      const entry = this.#slots[i] ?? 0;
      if (entry === 0) return;
      if (entry === slot + 1) break;
      i = (i + 1) & this.#mask;
    }
    // Backward shift: move later entries of the probe run into the hole, so lookups need no tombstones.
    for (let j = (i + 1) & this.#mask; ; j = (j + 1) & this.#mask) {
      const entry = this.#slots[j] ?? 0;
      if (entry === 0) break;
      const home = (this.#hashes[j] ?? 0) & this.#mask;
      // The entry at j may fill the hole at i only if its home is not cyclically within (i, j].
      const homeInRun = i <= j ? home > i && home <= j : home > i || home <= j;
      if (homeInRun) continue;
      this.#slots[i] = entry;
      this.#hashes[i] = this.#hashes[j] ?? 0;
      i = j;
    }
    this.#slots[i] = 0;
    this.#hashes[i] = 0;
  }
}

/** FNV-1a over the first `end` UTF-16 code units (message ids are UUIDs: short, random). */
function hashId(id: string, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash | 0;
}
