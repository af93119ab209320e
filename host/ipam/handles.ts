// IPAM handle entries (`ipam/handles/<handle>` → {"block":"<cidr>"}): where a pod's address is.
// A handle entry is a shortcut, never the truth (the block's allocations are): one that does not
// parse is reported and the blocks are searched instead, so a damaged entry cannot keep a pod's
// DEL from releasing its address, and the pod from ever leaving Terminating.

import { parsePrefix } from "../shared/addresses";
import type { KvStore } from "../store/kv";

/** A store entry that is skipped because it does not parse, and why. */
export interface CorruptEntry {
  key: string;
  reason: string;
}

/** The block CIDR a handle entry names; throws saying what is wrong with it. */
export function handleEntryBlock(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`not JSON: ${JSON.stringify(value.slice(0, 40))}`);
  }
  const block = (parsed as { block?: unknown } | null)?.block;
  if (typeof block !== "string") throw new Error('no "block" string in it');
  parsePrefix(block);
  return block;
}

/** Every handle entry under `prefix` with its block, and those that do not parse. */
export async function listHandles(kv: KvStore, prefix: string): Promise<{ handles: Array<{ handle: string; block: string }>; corrupt: CorruptEntry[] }> {
  const { items } = await kv.range(prefix);
  const handles: Array<{ handle: string; block: string }> = [];
  const corrupt: CorruptEntry[] = [];
  for (const item of items) {
    try {
      handles.push({ handle: item.key.slice(prefix.length), block: handleEntryBlock(item.value) });
    } catch (error) {
      corrupt.push({ key: item.key, reason: (error as Error).message });
    }
  }
  return { handles, corrupt };
}
