// Orders for block IPAM: the seeded order a node tries candidate blocks in, and one-at-a-time
// queues per key for this process's writes.

/** A permutation of 0..count-1 (count a power of two) seeded by `seed`: a start and an odd stride. */
export function seededOrder(seed: string, count: number): number[] {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 16777619) >>> 0;
  const start = hash % count;
  const stride = (Math.imul(hash, 2654435761) | 1) >>> 0;
  return Array.from({ length: count }, (_, i) => (start + i * stride) % count);
}

/** Runs `work` once every earlier work queued under `key` has settled (one at a time per key, in order). */
export function inTurn<T>(queues: Map<string, Promise<unknown>>, key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}
