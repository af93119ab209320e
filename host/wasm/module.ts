// Loads dist/podnet.wasm once with the standard WebAssembly API. We do not use
// @assemblyscript/loader: it is deprecated upstream, and the module exports only numbers and
// a memory, so plain WebAssembly.Instance exports need no glue.

import { readAsset } from "../assets";

/** The module's raw exports, as declared in assembly/index.ts. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  ABI_VERSION: WebAssembly.Global;
  allocate(size: number): number;
  internetChecksum(ptr: number, len: number, initial: number): number;
  onesComplementSum(ptr: number, len: number, initial: number): number;
  pseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number;
  checksumUpdate16(check: number, oldWord: number, newWord: number): number;
  headerRecord(): number;
  slotTable(): number;
  configureLocal(publicIp: number, overlayIp: number, macHigh: number, macLow: number, vni: number, mtu: number): number;
  configurePeer(index: number, publicIp: number, macHigh: number, macLow: number): number;
  encapBatch(mode: number, n: number): number;
  decapBatch(mode: number, n: number): number;
  encapDatagramBatch(mode: number, n: number): number;
  decapDatagramBatch(mode: number, n: number): number;
  encapOffloadBatch(mode: number, n: number): number;
  decapOffloadBatch(mode: number, n: number): number;
  statusCounters(): number;
  routeInsert(prefix: number, length: number, nextHop: number): number;
  routeDelete(prefix: number, length: number): number;
  routeBulkLoad(ptr: number, n: number): number;
  routeClear(): void;
  routeRebuild(): number;
  routeLookup(address: number): number;
  routeMatchLength(address: number): number;
  routeLookupBatch(ptr: number, n: number, results: number): number;
  routeCount(): number;
  routeMemoryBytes(): number;
  layerTable(): number;
  decodePacket(ptr: number, len: number, linkType: number, rulePort: number, ruleKind: number): number;
  configureJsonSchema(ptr: number, len: number): number;
  renderLayersJson(packet: number, packetLength: number, output: number, capacity: number): number;
  parseHeader(kind: number, ptr: number, len: number, source: number, destination: number): number;
  emitHeader(kind: number, ptr: number, capacity: number, flags: number, source: number, destination: number): number;
  netlinkRouteRecord(): number;
  netlinkMessageRecord(): number;
  netlinkRouteMessage(ptr: number, capacity: number, type: number, flags: number, sequence: number): number;
  netlinkRouteDump(ptr: number, capacity: number, type: number, flags: number, sequence: number): number;
  netlinkReadMessage(ptr: number, available: number): number;
  netlinkParseRoute(ptr: number, length: number): number;
  netlinkLinkRecord(): number;
  netlinkAddressRecord(): number;
  netlinkNeighbourRecord(): number;
  netlinkLinkMessage(ptr: number, capacity: number, type: number, flags: number, sequence: number): number;
  netlinkAddressMessage(ptr: number, capacity: number, type: number, flags: number, sequence: number): number;
  netlinkNeighbourMessage(ptr: number, capacity: number, type: number, flags: number, sequence: number): number;
  netlinkDump(ptr: number, capacity: number, type: number, flags: number, sequence: number, familyLength: number, family: number): number;
  netlinkParseLink(ptr: number, length: number): number;
  netlinkParseAddress(ptr: number, length: number): number;
  netlinkParseNeighbour(ptr: number, length: number): number;
}

/** ABI version this host was written against (assembly/index.ts ABI_VERSION). */
export const SUPPORTED_ABI_VERSION = 3;

/** Thrown when the Wasm module cannot be loaded or does not match this host. */
export class WasmLoadError extends Error {
  readonly code = "WASM_LOAD";
}

let cached: CoreExports | undefined;

/** Instantiates `bytes` with the only import the module may have, env.abort. */
export function instantiateCore(bytes: BufferSource): CoreExports {
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(_message: number, _file: number, line: number, column: number): never {
        throw new WasmLoadError(`podnet.wasm aborted at ${line}:${column}`);
      },
    },
  });
  const exports = instance.exports as unknown as CoreExports;
  const abi = exports.ABI_VERSION?.value as number | undefined;
  if (abi !== SUPPORTED_ABI_VERSION) {
    throw new WasmLoadError(`podnet.wasm has ABI version ${abi}, this host needs ${SUPPORTED_ABI_VERSION}`);
  }
  return exports;
}

/** The process-wide core instance, created on first use. */
export function core(): CoreExports {
  cached ??= instantiateCore(readAsset(process.env.PODNET_WASM_DEBUG ? "podnet.debug.wasm" : "podnet.wasm"));
  return cached;
}
