// The module's exports: the only surface the host (or any other Wasm runtime) sees.
// Exports validate their arguments once; everything behind them trusts its caller.

import { Status } from "./shared/status";
import { LinkField } from "./shared/netlink";
import { inMemory } from "./heap";
import * as cksum from "./wire/checksum";
import * as headers from "./headers";
import * as datapath from "./datapath";
import * as lpm from "./route/lpm";
import * as decode from "./decode";
import * as json from "./json";
import * as netlinkMessage from "./netlink/message";
import * as netlinkRoute from "./netlink/route";
import * as netlinkLink from "./netlink/link";
import * as netlinkAddress from "./netlink/address";
import * as netlinkNeighbour from "./netlink/neighbour";

export { allocate } from "./heap";
export { configureLocal, configurePeer } from "./datapath";

/** ABI version; the host refuses a module whose version it does not know. */
export const ABI_VERSION: u32 = 3;

/**
 * Internet checksum of `len` bytes at `ptr`, with the partial sum `initial` folded in.
 * Returns the checksum (0..0xffff), or -Status.BadArgument when the range is outside memory.
 */
export function internetChecksum(ptr: usize, len: usize, initial: u32): i32 {
  if (!inMemory(ptr, len)) return -Status.BadArgument;
  return <i32>cksum.checksum(ptr, len, initial);
}

/** One's complement sum (folded, not complemented), or -Status.BadArgument when out of memory range. */
export function onesComplementSum(ptr: usize, len: usize, initial: u32): i32 {
  if (!inMemory(ptr, len)) return -Status.BadArgument;
  return <i32>cksum.sum(ptr, len, initial);
}

/** Pseudo-header sum for UDP/TCP over IPv4; addresses in host order. */
export function pseudoHeaderSum(source: u32, destination: u32, protocol: u32, length: u32): u32 {
  return cksum.pseudoHeader(source, destination, protocol & 0xff, length & 0xffff);
}

/** Checksum after one 16-bit word changed (RFC 1624). */
export function checksumUpdate16(check: u32, oldWord: u32, newWord: u32): u32 {
  return cksum.update16(check & 0xffff, oldWord & 0xffff, newWord & 0xffff);
}

/** Address of the field record that parseHeader fills and emitHeader reads. */
export function headerRecord(): usize {
  return headers.HEADER_RECORD;
}

/** Parses a header of `kind` (shared/fields.ts HeaderKind) at [ptr, ptr + len) into the record. */
export function parseHeader(kind: u32, ptr: usize, len: usize, source: u32, destination: u32): Status {
  if (!inMemory(ptr, len)) return Status.BadArgument;
  return headers.parseHeader(kind, ptr, len, source, destination);
}

/** Emits the record as a header of `kind` into [ptr, ptr + capacity); returns its length or -Status. */
export function emitHeader(kind: u32, ptr: usize, capacity: usize, flags: u32, source: u32, destination: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return headers.emitHeader(kind, ptr, capacity, flags, source, destination);
}

/** Address of the slot table (shared/slots.ts) that encapBatch and decapBatch work on. */
export function slotTable(): usize {
  return datapath.SLOT_TABLE;
}

/** Encapsulates the packets in slots 0 … n − 1 for `mode`; returns how many are ready to send, or -Status. */
export function encapBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, true, false);
}

/** encapBatch for a UDP socket: outputs the UDP payload and the peer's public IP in Address. */
export function encapDatagramBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, true, true);
}

/** Decapsulates the packets in slots 0 … n − 1 for `mode`; returns how many inner packets are ready, or -Status. */
export function decapBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, false, false);
}

/**
 * encapDatagramBatch for a TUN device with offload: slots start with a virtio-net header; a TCP
 * super-packet becomes SegmentSize-strided datagrams for one UDP_SEGMENT send.
 */
export function encapOffloadBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, true, true, true);
}

/** decapDatagramBatch whose outputs carry a cleared virtio-net header, for a TUN device with offload. */
export function decapOffloadBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, false, true, true);
}

/** decapBatch for a UDP socket: slots hold UDP payloads, Address the sender, which must be a peer. */
export function decapDatagramBatch(mode: u32, n: u32): i32 {
  return datapath.runBatch(mode, n, false, true);
}

/** Address of the packet counters per direction and Status (u64 each; shared/slots.ts). */
export function statusCounters(): usize {
  return datapath.STATUS_COUNTERS;
}

/** Inserts or replaces a route prefix/length → nextHop (prefix in host order). */
export function routeInsert(prefix: u32, length: u32, nextHop: u32): Status {
  return lpm.routeInsert(prefix, length, nextHop);
}

/** Deletes a route; NoRoute when it is not in the table. */
export function routeDelete(prefix: u32, length: u32): Status {
  return lpm.routeDelete(prefix, length);
}

/** Replaces the table with n (prefix, length, nextHop) u32 triples at ptr; returns n or -Status. */
export function routeBulkLoad(ptr: usize, n: u32): i32 {
  if (!inMemory(ptr, <usize>n * 12)) return -Status.BadArgument;
  return lpm.routeBulkLoad(ptr, n);
}

/** Empties the route table. */
export function routeClear(): void {
  lpm.routeClear();
}

/** Rebuilds the lookup structure from the master copy, to the side, and swaps it in. */
export function routeRebuild(): Status {
  return lpm.routeRebuild();
}

/** Next hop of the longest matching prefix for address, or 0xffffffff when none matches. */
export function routeLookup(address: u32): u32 {
  return lpm.routeLookup(address);
}

/** Length of the longest prefix matching address, or -1: with the address, it names the matched prefix. */
export function routeMatchLength(address: u32): i32 {
  return lpm.routeMatchLength(address);
}

/** Looks up n u32 addresses at ptr into n u32 next hops at results. */
export function routeLookupBatch(ptr: usize, n: u32, results: usize): Status {
  if (!inMemory(ptr, <usize>n << 2) || !inMemory(results, <usize>n << 2)) return Status.BadArgument;
  lpm.routeLookupBatch(ptr, n, results);
  return Status.Ok;
}

/** Prefixes in the route table. */
export function routeCount(): u32 {
  return lpm.routeCount();
}

/** Bytes the route table occupies (trie and master copy). */
export function routeMemoryBytes(): u32 {
  return lpm.routeMemoryBytes();
}

/** Address of the layer table decodePacket fills (shared/decode.ts). */
export function layerTable(): usize {
  return decode.LAYER_TABLE;
}

/** Decodes every layer of the packet at [ptr, ptr + len) captured with linkType; returns the layer count or -Status. */
export function decodePacket(ptr: usize, len: usize, linkType: u32, rulePort: u32, ruleKind: u32): i32 {
  if (!inMemory(ptr, len)) return -Status.BadArgument;
  return decode.decodePacket(ptr, len, linkType, rulePort & 0xffff, ruleKind);
}

/** Takes the JSON schema for renderLayersJson (shared/decode.ts), written once by the host. */
export function configureJsonSchema(ptr: usize, len: usize): Status {
  if (!inMemory(ptr, len)) return Status.BadArgument;
  return json.configureJsonSchema(ptr, len);
}

/** Writes the last decoded packet's layers and payload as JSON text; returns the length or -Status. */
export function renderLayersJson(packet: usize, packetLength: usize, output: usize, capacity: usize): i32 {
  if (!inMemory(packet, packetLength) || !inMemory(output, capacity)) return -Status.BadArgument;
  return json.renderLayersJson(packet, packetLength, output, capacity);
}

/** Address of the route record (shared/netlink.ts RouteField) that netlink builds read and parses fill. */
export function netlinkRouteRecord(): usize {
  return netlinkRoute.ROUTE_RECORD;
}

/** Address of the record (shared/netlink.ts MessageField) netlinkReadMessage fills. */
export function netlinkMessageRecord(): usize {
  return netlinkMessage.MESSAGE_RECORD;
}

/** Builds a RTM_NEWROUTE/RTM_DELROUTE request from the route record at ptr; returns its length or -Status. */
export function netlinkRouteMessage(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return netlinkRoute.buildRouteMessage(netlinkRoute.ROUTE_RECORD, ptr, capacity, type, flags, sequence);
}

/** Builds a RTM_GETROUTE dump request (IPv4, every table) at ptr; returns its length or -Status. */
export function netlinkRouteDump(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return netlinkRoute.buildRouteDump(ptr, capacity, type, flags, sequence);
}

/** Reads the header of the message at ptr (available bytes received) into the message record; returns its aligned length or -Status. */
export function netlinkReadMessage(ptr: usize, available: usize): i32 {
  if (!inMemory(ptr, available)) return -Status.BadArgument;
  return netlinkMessage.readMessage(ptr, available, netlinkMessage.MESSAGE_RECORD);
}

/** Parses the RTM_NEWROUTE message at ptr (length bytes, header included) into the route record. */
export function netlinkParseRoute(ptr: usize, length: usize): Status {
  if (!inMemory(ptr, length)) return Status.BadArgument;
  return netlinkRoute.parseRouteMessage(ptr, length, netlinkRoute.ROUTE_RECORD);
}

/** Address of the link record (shared/netlink.ts LinkField). */
export function netlinkLinkRecord(): usize {
  return netlinkLink.LINK_RECORD;
}

/** Address of the address record (shared/netlink.ts AddressField). */
export function netlinkAddressRecord(): usize {
  return netlinkAddress.ADDRESS_RECORD;
}

/** Address of the neighbour record (shared/netlink.ts NeighbourField). */
export function netlinkNeighbourRecord(): usize {
  return netlinkNeighbour.NEIGHBOUR_RECORD;
}

/** Builds a link request (RTM_NEWLINK/DELLINK/GETLINK) from the link record at ptr; returns its length or -Status. */
export function netlinkLinkMessage(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  let record = netlinkLink.LINK_RECORD;
  let nameLength = <usize>load<u32>(record + (<usize>LinkField.NameLength << 2));
  let peerNameLength = <usize>load<u32>(record + (<usize>LinkField.PeerNameLength << 2));
  if (!inMemory(<usize>load<u32>(record + (<usize>LinkField.NameOffset << 2)), nameLength)) return -Status.BadArgument;
  if (!inMemory(<usize>load<u32>(record + (<usize>LinkField.PeerNameOffset << 2)), peerNameLength)) return -Status.BadArgument;
  return netlinkLink.buildLinkMessage(record, ptr, capacity, type, flags, sequence);
}

/** Builds RTM_NEWADDR/RTM_DELADDR from the address record at ptr; returns its length or -Status. */
export function netlinkAddressMessage(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return netlinkAddress.buildAddressMessage(netlinkAddress.ADDRESS_RECORD, ptr, capacity, type, flags, sequence);
}

/** Builds RTM_NEWNEIGH/RTM_DELNEIGH (a neighbour, or an FDB entry) from the neighbour record at ptr; returns its length or -Status. */
export function netlinkNeighbourMessage(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32): i32 {
  if (!inMemory(ptr, capacity)) return -Status.BadArgument;
  return netlinkNeighbour.buildNeighbourMessage(netlinkNeighbour.NEIGHBOUR_RECORD, ptr, capacity, type, flags, sequence);
}

/** Builds a dump request of `type` whose family header is familyLength bytes starting with `family`; returns its length or -Status. */
export function netlinkDump(ptr: usize, capacity: usize, type: u32, flags: u32, sequence: u32, familyLength: usize, family: u32): i32 {
  if (!inMemory(ptr, capacity) || familyLength > 64) return -Status.BadArgument;
  return netlinkMessage.buildDump(ptr, capacity, type, flags, sequence, familyLength, family);
}

/** Parses the RTM_NEWLINK message at ptr into the link record (its name offset points into the message). */
export function netlinkParseLink(ptr: usize, length: usize): Status {
  if (!inMemory(ptr, length)) return Status.BadArgument;
  return netlinkLink.parseLinkMessage(ptr, length, netlinkLink.LINK_RECORD);
}

/** Parses the RTM_NEWADDR message at ptr into the address record. */
export function netlinkParseAddress(ptr: usize, length: usize): Status {
  if (!inMemory(ptr, length)) return Status.BadArgument;
  return netlinkAddress.parseAddressMessage(ptr, length, netlinkAddress.ADDRESS_RECORD);
}

/** Parses the RTM_NEWNEIGH message at ptr into the neighbour record. */
export function netlinkParseNeighbour(ptr: usize, length: usize): Status {
  if (!inMemory(ptr, length)) return Status.BadArgument;
  return netlinkNeighbour.parseNeighbourMessage(ptr, length, netlinkNeighbour.NEIGHBOUR_RECORD);
}
