// Linux "cooked" capture headers, what `tcpdump -i any` writes instead of Ethernet
// (tcpdump.org linktypes: LINKTYPE_LINUX_SLL 113 and LINKTYPE_LINUX_SLL2 276):
//
// SLL (16 bytes)                          SLL2 (20 bytes)
// +-------------------------------+       +-------------------------------+
// |  Packet type  |  ARPHRD type  |       |   Protocol    |   Reserved    |
// +-------------------------------+       +-------------------------------+
// | Address length|               |       |        Interface index        |
// +---------------+               +       +-------------------------------+
// |  Link-layer address (8 bytes) |       |  ARPHRD type  |Pkt ty.|Addr ln|
// +               +---------------+       +-------------------------------+
// |               |   Protocol    |       |  Link-layer address (8 bytes) |
// +-------------------------------+       +-------------------------------+
//  (each cell 16 bits; SLL2's packet type and address length are 8 bits each)

import { Status } from "../shared/status";
import { LinuxCookedField } from "../shared/fields";
import { getField, load16, load32, setField, store16, store32 } from "./bytes";

// @ts-ignore: decorator
@inline export const SLL_HEADER_LEN: usize = 16;
// @ts-ignore: decorator
@inline export const SLL2_HEADER_LEN: usize = 20;

/** Parses an SLL (version 1) or SLL2 (version 2) header at `p` into `record`. */
export function parseLinuxCooked(p: usize, len: usize, record: usize, version: u32): Status {
  if (version == 1) {
    if (len < SLL_HEADER_LEN) return Status.Truncated;
    setField(record, LinuxCookedField.PacketType, load16(p));
    setField(record, LinuxCookedField.HardwareType, load16(p + 2));
    setField(record, LinuxCookedField.AddressLength, load16(p + 4));
    setField(record, LinuxCookedField.AddressHigh, load32(p + 6));
    setField(record, LinuxCookedField.AddressLow, load32(p + 10));
    setField(record, LinuxCookedField.Protocol, load16(p + 14));
    setField(record, LinuxCookedField.HeaderLength, <u32>SLL_HEADER_LEN);
    return Status.Ok;
  }
  if (len < SLL2_HEADER_LEN) return Status.Truncated;
  setField(record, LinuxCookedField.Protocol, load16(p));
  setField(record, LinuxCookedField.InterfaceIndex, load32(p + 4));
  setField(record, LinuxCookedField.HardwareType, load16(p + 8));
  setField(record, LinuxCookedField.PacketType, <u32>load<u8>(p + 10));
  setField(record, LinuxCookedField.AddressLength, <u32>load<u8>(p + 11));
  setField(record, LinuxCookedField.AddressHigh, load32(p + 12));
  setField(record, LinuxCookedField.AddressLow, load32(p + 16));
  setField(record, LinuxCookedField.HeaderLength, <u32>SLL2_HEADER_LEN);
  return Status.Ok;
}

/** Writes the SLL or SLL2 header in `record` to `p`; returns its length or -Status. */
export function emitLinuxCooked(record: usize, p: usize, capacity: usize, version: u32): i32 {
  if (version == 1) {
    if (capacity < SLL_HEADER_LEN) return -Status.TooBig;
    store16(p, getField(record, LinuxCookedField.PacketType));
    store16(p + 2, getField(record, LinuxCookedField.HardwareType));
    store16(p + 4, getField(record, LinuxCookedField.AddressLength));
    store32(p + 6, getField(record, LinuxCookedField.AddressHigh));
    store32(p + 10, getField(record, LinuxCookedField.AddressLow));
    store16(p + 14, getField(record, LinuxCookedField.Protocol));
    return <i32>SLL_HEADER_LEN;
  }
  if (capacity < SLL2_HEADER_LEN) return -Status.TooBig;
  store16(p, getField(record, LinuxCookedField.Protocol));
  store16(p + 2, 0);
  store32(p + 4, getField(record, LinuxCookedField.InterfaceIndex));
  store16(p + 8, getField(record, LinuxCookedField.HardwareType));
  store<u8>(p + 10, <u8>getField(record, LinuxCookedField.PacketType));
  store<u8>(p + 11, <u8>getField(record, LinuxCookedField.AddressLength));
  store32(p + 12, getField(record, LinuxCookedField.AddressHigh));
  store32(p + 16, getField(record, LinuxCookedField.AddressLow));
  return <i32>SLL2_HEADER_LEN;
}
