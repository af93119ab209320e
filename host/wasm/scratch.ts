// One reusable buffer in Wasm linear memory for copying host bytes in (undici's pattern):
// grown in 4096-byte steps, and the Uint8Array view re-taken whenever memory.buffer changed
// (growth detaches the old ArrayBuffer).

import { core, WasmLoadError } from "./module";
import { Status } from "../../assembly/shared/status";

const GROWTH_STEP = 4096;

let pointer = 0;
let capacity = 0;
let view: Uint8Array | undefined;

/** A live view over the module's whole linear memory. */
export function memoryBytes(): Uint8Array {
  const buffer = core().memory.buffer;
  if (view === undefined || view.buffer !== buffer) view = new Uint8Array(buffer);
  return view;
}

/** Copies `bytes` into the scratch buffer and returns its address in linear memory. */
export function copyIn(bytes: Uint8Array): number {
  if (bytes.length > capacity) {
    const wanted = Math.ceil(bytes.length / GROWTH_STEP) * GROWTH_STEP;
    const address = core().allocate(wanted);
    if (address === 0) throw new WasmLoadError(`podnet.wasm refused a ${wanted}-byte buffer (Status ${Status[Status.OutOfMemory]})`);
    pointer = address;
    capacity = wanted;
  }
  memoryBytes().set(bytes, pointer);
  return pointer;
}
