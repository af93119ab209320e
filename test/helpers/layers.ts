// Walks a captured frame layer by layer through the Wasm core's parseHeader, the way a decoder
// would: Ethernet → ARP | IPv4 → ICMP | TCP | UDP → (port 8472/4789) VXLAN → inner Ethernet → …
import { Status } from "../../assembly/shared/status";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, FLANNEL_VXLAN_PORT, HeaderKind, IANA_VXLAN_PORT } from "../../assembly/shared/fields";
import { parseHeader, type ParsedHeader } from "../../host/wasm/headers";

/** One header found in a frame: its bytes (header and all it covers) and what parse said. */
export interface Layer {
  kind: HeaderKind;
  bytes: Uint8Array;
  source: number;
  destination: number;
  parsed: ParsedHeader;
  /** Bytes after the header that emit needs in place (what the header's checksum or length covers). */
  payload: Uint8Array;
}

/** Every layer of `frame` the core can parse, outermost first. */
export function layersOf(frame: Uint8Array): Layer[] {
  const layers: Layer[] = [];
  let kind: HeaderKind | undefined = HeaderKind.Ethernet;
  let bytes: Uint8Array = frame;
  let source = 0;
  let destination = 0;
  while (kind !== undefined) {
    const parsed = parseHeader(kind, bytes, { source, destination });
    const f = parsed.fields;
    let payload: Uint8Array = new Uint8Array(0);
    let next: HeaderKind | undefined;
    if (parsed.status === Status.Ok) {
      switch (kind) {
        case HeaderKind.Ethernet:
          payload = bytes.subarray(f.headerLength);
          next = f.etherType === ETHERTYPE_IPV4 ? HeaderKind.Ipv4 : f.etherType === ETHERTYPE_ARP ? HeaderKind.Arp : undefined;
          break;
        case HeaderKind.Ipv4:
          bytes = bytes.subarray(0, f.totalLength);
          payload = bytes.subarray(f.headerLength);
          source = f.source;
          destination = f.destination;
          next = ({ 1: HeaderKind.Icmpv4, 6: HeaderKind.Tcp, 17: HeaderKind.Udp } as Record<number, HeaderKind>)[f.protocol];
          break;
        case HeaderKind.Icmpv4:
          payload = bytes.subarray(8);
          break;
        case HeaderKind.Tcp:
          payload = bytes.subarray(f.headerLength);
          break;
        case HeaderKind.Udp:
          bytes = bytes.subarray(0, f.length);
          payload = bytes.subarray(8);
          next = [FLANNEL_VXLAN_PORT, IANA_VXLAN_PORT].includes(f.destinationPort) ? HeaderKind.Vxlan : undefined;
          break;
        case HeaderKind.Vxlan:
          payload = bytes.subarray(8);
          next = HeaderKind.Ethernet;
          break;
      }
    }
    layers.push({ kind, bytes, source, destination, parsed, payload });
    if (next === undefined) break;
    bytes = payload;
    kind = next;
  }
  return layers;
}
