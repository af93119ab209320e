// ARP for IPv4 over Ethernet (RFC 826); other hardware or protocol types are Unsupported.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Hardware type (1)        |     Protocol type (0x0800)    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | HW len (6)    | Proto len (4) |           Operation           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Sender hardware address (6)                   |
// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                               |  Sender protocol address (4)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                               |                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  Target hardware address (6)  +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Target protocol address (4)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { Status } from "../shared/status";
import { ArpField, ETHERTYPE_IPV4 } from "../shared/fields";
import { getField, load16, load32, readMac, setField, store16, store32, writeMac } from "./bytes";

// @ts-ignore: decorator
@inline const HARDWARE_TYPE: usize = 0;
// @ts-ignore: decorator
@inline const PROTOCOL_TYPE: usize = 2;
// @ts-ignore: decorator
@inline const HARDWARE_LENGTH: usize = 4;
// @ts-ignore: decorator
@inline const PROTOCOL_LENGTH: usize = 5;
// @ts-ignore: decorator
@inline const OPERATION: usize = 6;
// @ts-ignore: decorator
@inline const SENDER_MAC: usize = 8;
// @ts-ignore: decorator
@inline const SENDER_IP: usize = 14;
// @ts-ignore: decorator
@inline const TARGET_MAC: usize = 18;
// @ts-ignore: decorator
@inline const TARGET_IP: usize = 24;

// @ts-ignore: decorator
@inline export const ARP_LEN: usize = TARGET_IP + 4;
// @ts-ignore: decorator
@inline const HARDWARE_ETHERNET: u32 = 1;

/** Parses an ARP packet at `p` into `record`. */
export function parseArp(p: usize, len: usize, record: usize): Status {
  if (len < OPERATION + 2) return Status.Truncated;
  let hardwareType = load16(p + HARDWARE_TYPE);
  let protocolType = load16(p + PROTOCOL_TYPE);
  let hardwareLength = <u32>load<u8>(p + HARDWARE_LENGTH);
  let protocolLength = <u32>load<u8>(p + PROTOCOL_LENGTH);
  setField(record, ArpField.HardwareType, hardwareType);
  setField(record, ArpField.ProtocolType, protocolType);
  setField(record, ArpField.HardwareLength, hardwareLength);
  setField(record, ArpField.ProtocolLength, protocolLength);
  setField(record, ArpField.Operation, load16(p + OPERATION));
  if (hardwareType != HARDWARE_ETHERNET || protocolType != ETHERTYPE_IPV4 || hardwareLength != 6 || protocolLength != 4) {
    return Status.Unsupported;
  }
  if (len < ARP_LEN) return Status.Truncated;
  readMac(p + SENDER_MAC, record, ArpField.SenderMacHigh);
  setField(record, ArpField.SenderIp, load32(p + SENDER_IP));
  readMac(p + TARGET_MAC, record, ArpField.TargetMacHigh);
  setField(record, ArpField.TargetIp, load32(p + TARGET_IP));
  return Status.Ok;
}

/** Writes the ARP packet in `record` (IPv4 over Ethernet) to `p`; returns 28 or -Status. */
export function emitArp(record: usize, p: usize, capacity: usize): i32 {
  if (capacity < ARP_LEN) return -Status.TooBig;
  store16(p + HARDWARE_TYPE, HARDWARE_ETHERNET);
  store16(p + PROTOCOL_TYPE, ETHERTYPE_IPV4);
  store<u8>(p + HARDWARE_LENGTH, 6);
  store<u8>(p + PROTOCOL_LENGTH, 4);
  store16(p + OPERATION, getField(record, ArpField.Operation));
  writeMac(p + SENDER_MAC, record, ArpField.SenderMacHigh);
  store32(p + SENDER_IP, getField(record, ArpField.SenderIp));
  writeMac(p + TARGET_MAC, record, ArpField.TargetMacHigh);
  store32(p + TARGET_IP, getField(record, ArpField.TargetIp));
  return <i32>ARP_LEN;
}
