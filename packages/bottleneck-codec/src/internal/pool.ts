/**
 * Small results (encoded frames and JPEGs, decoded images) are written straight into a shared
 * 32 KiB buffer and handed out as views of it, as Node's `Buffer.allocUnsafe` does with its pool:
 * allocating an ArrayBuffer per call (a backing store the GC tracks and sweeps) and copying into it
 * costs more than a tiny feature's encode or decode. Each view is the caller's alone (views never
 * overlap and the pool never reuses a byte), but its `byteOffset` may be non-zero and its `buffer`
 * is shared: use `byteOffset`/`byteLength` together with `.buffer`.
 */
const POOL_BYTES = 32 * 1024;
/** Largest room the pool hands out; bigger results get their own ArrayBuffer. */
export const POOLED_MAX = POOL_BYTES / 4;

/** The current pool and its first free byte (8-byte aligned). Live bindings: re-read after poolReserve. */
export let pool = new Uint8Array(POOL_BYTES);
export let poolUsed = 0;

/**
 * Makes sure `room` bytes are free at `poolUsed` (starting a fresh pool when not); false when `room`
 * is above {@link POOLED_MAX}, i.e. the caller must allocate its own.
 */
export function poolReserve(room: number): boolean {
  if (room > POOLED_MAX) return false;
  if (poolUsed + room > POOL_BYTES) {
    pool = new Uint8Array(POOL_BYTES);
    poolUsed = 0;
  }
  return true;
}

/** The `n` bytes written at `poolUsed` become the caller's: returns their view and moves on. */
export function poolCommit(n: number): Uint8Array {
  const out = new Uint8Array(pool.buffer, poolUsed, n);
  poolUsed += (n + 7) & ~7;
  return out;
}

/** A fresh, caller-owned array of `n` bytes (contents unspecified: the caller fills all of it). */
export function ownedBytes(n: number): Uint8Array {
  return poolReserve(n) ? poolCommit(n) : new Uint8Array(n);
}

/** A fresh, caller-owned copy of `src[start, end)`. */
export function ownedCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = ownedBytes(end - start);
  out.set(src.subarray(start, end));
  return out;
}
