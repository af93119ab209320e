// Ethernet II frame header (IEEE 802.3 clause 3.2.6, "Ethernet II" / DIX), with one optional
// IEEE 802.1Q tag read and written:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination MAC (6 bytes)                  |
// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                               |                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       Source MAC (6 bytes)    +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   TPID 0x8100 (optional)      |  PCP|D|  VLAN ID  (optional)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          EtherType            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { Status } from "../shared/status";
import { ETHERTYPE_VLAN, EthernetField } from "../shared/fields";
import { getField, load16, readMac, setField, store16, writeMac } from "./bytes";

// @ts-ignore: decorator
@inline const DESTINATION: usize = 0;
// @ts-ignore: decorator
@inline const SOURCE: usize = 6;
// @ts-ignore: decorator
@inline const ETHERTYPE: usize = 12;
// @ts-ignore: decorator
@inline const VLAN_TCI: usize = 14;
// @ts-ignore: decorator
@inline const VLAN_ETHERTYPE: usize = 16;

/** Header length without a tag. */
// @ts-ignore: decorator
@inline export const ETHERNET_HEADER_LEN: usize = ETHERTYPE + 2;
/** Header length with one 802.1Q tag. */
// @ts-ignore: decorator
@inline export const ETHERNET_VLAN_HEADER_LEN: usize = VLAN_ETHERTYPE + 2;

/** Parses the frame header at `p` (`len` bytes available) into `record`. */
export function parseEthernet(p: usize, len: usize, record: usize): Status {
  if (len < ETHERNET_HEADER_LEN) return Status.Truncated;
  readMac(p + DESTINATION, record, EthernetField.DestinationHigh);
  readMac(p + SOURCE, record, EthernetField.SourceHigh);
  let etherType = load16(p + ETHERTYPE);
  if (etherType == ETHERTYPE_VLAN) {
    if (len < ETHERNET_VLAN_HEADER_LEN) return Status.Truncated;
    setField(record, EthernetField.HasVlan, 1);
    setField(record, EthernetField.VlanTci, load16(p + VLAN_TCI));
    setField(record, EthernetField.EtherType, load16(p + VLAN_ETHERTYPE));
    setField(record, EthernetField.HeaderLength, <u32>ETHERNET_VLAN_HEADER_LEN);
  } else {
    setField(record, EthernetField.HasVlan, 0);
    setField(record, EthernetField.VlanTci, 0);
    setField(record, EthernetField.EtherType, etherType);
    setField(record, EthernetField.HeaderLength, <u32>ETHERNET_HEADER_LEN);
  }
  return Status.Ok;
}

/** Writes the header in `record` to `p`; returns its length, or -Status when it does not fit. */
export function emitEthernet(record: usize, p: usize, capacity: usize): i32 {
  let tagged = getField(record, EthernetField.HasVlan) != 0;
  let length = tagged ? ETHERNET_VLAN_HEADER_LEN : ETHERNET_HEADER_LEN;
  if (capacity < length) return -Status.TooBig;
  writeMac(p + DESTINATION, record, EthernetField.DestinationHigh);
  writeMac(p + SOURCE, record, EthernetField.SourceHigh);
  if (tagged) {
    store16(p + ETHERTYPE, ETHERTYPE_VLAN);
    store16(p + VLAN_TCI, getField(record, EthernetField.VlanTci));
    store16(p + VLAN_ETHERTYPE, getField(record, EthernetField.EtherType));
  } else {
    store16(p + ETHERTYPE, getField(record, EthernetField.EtherType));
  }
  return <i32>length;
}
