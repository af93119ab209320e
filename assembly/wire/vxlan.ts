// VXLAN header (RFC 7348 §5), carried in UDP (Flannel: port 8472; IANA: 4789):
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|R|R|R|I|R|R|R|            Reserved                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                VXLAN Network Identifier (VNI) |   Reserved    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The I flag must be set for a valid VNI; reserved bits are sent as zero and ignored on
// receipt, but kept in the record so a round trip is exact.

import { Status } from "../shared/status";
import { VxlanField } from "../shared/fields";
import { getField, load32, setField, store32 } from "./bytes";

// @ts-ignore: decorator
@inline const FLAGS_RESERVED: usize = 0;
// @ts-ignore: decorator
@inline const VNI_RESERVED: usize = 4;
// @ts-ignore: decorator
@inline export const VXLAN_HEADER_LEN: usize = VNI_RESERVED + 4;
/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_VNI: u32 = 0x08;

/** Parses the VXLAN header at `p`; Malformed (fields filled) when the I flag is clear. */
export function parseVxlan(p: usize, len: usize, record: usize): Status {
  if (len < VXLAN_HEADER_LEN) return Status.Truncated;
  let first = load32(p + FLAGS_RESERVED);
  let second = load32(p + VNI_RESERVED);
  setField(record, VxlanField.Flags, first >>> 24);
  setField(record, VxlanField.ReservedHigh, first & 0xffffff);
  setField(record, VxlanField.Vni, second >>> 8);
  setField(record, VxlanField.ReservedLow, second & 0xff);
  return (first >>> 24) & VXLAN_FLAG_VNI ? Status.Ok : Status.Malformed;
}

/** Writes the header in `record` to `p`; returns 8, or -Status. */
export function emitVxlan(record: usize, p: usize, capacity: usize): i32 {
  if (capacity < VXLAN_HEADER_LEN) return -Status.TooBig;
  store32(p + FLAGS_RESERVED, (getField(record, VxlanField.Flags) & 0xff) << 24 | getField(record, VxlanField.ReservedHigh) & 0xffffff);
  store32(p + VNI_RESERVED, (getField(record, VxlanField.Vni) & 0xffffff) << 8 | getField(record, VxlanField.ReservedLow) & 0xff);
  return <i32>VXLAN_HEADER_LEN;
}
