// Linear-memory allocation for the host. The module runs on AssemblyScript's stub runtime,
// which never frees: the host allocates its packet slots and scratch buffers once and reuses them.

/** Largest single allocation the host may ask for; bigger requests are refused, not trapped. */
// @ts-ignore: decorator
@inline const MAX_ALLOCATION: usize = 256 << 20;

/** Allocates `size` bytes aligned to 16; returns 0 when the size is refused. */
export function allocate(size: usize): usize {
  if (size == 0 || size > MAX_ALLOCATION) return 0;
  return heap.alloc(size);
}

/** True when [ptr, ptr + len) lies inside linear memory. */
// @ts-ignore: decorator
@inline export function inMemory(ptr: usize, len: usize): bool {
  let end = ptr + len;
  return end >= ptr && end <= (<usize>memory.size() << 16);
}
