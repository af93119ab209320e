// The Wasm core's rtnetlink messages without a kernel: a route request built from the record reads
// back as the same route, its bytes are the kernel's layout; links (with nested IFLA_LINKINFO),
// addresses and neighbours read back as built; an error's extended ACK text is found; cut,
// corrupted and fuzzed replies are errors (Truncated, BadHeaderLength), never a trap. (The
// netlink kernel against `ip` on a real kernel: test/netns/netlink-kernel.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ADDRESS_RECORD_FIELDS, AddressField, LINK_RECORD_FIELDS, LinkField, LinkKind, MESSAGE_RECORD_FIELDS, MessageField, NEIGHBOUR_RECORD_FIELDS, NeighbourField, NetlinkFamily,
  NetlinkFlag, NetlinkType, NO_NAMESPACE_FD, ROUTE_RECORD_FIELDS, RouteField, RouteType, RTNH_F_ONLINK,
} from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { core } from "../../host/wasm/module";
import { copyIn, memoryBytes } from "../../host/wasm/scratch";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { seededRandom } from "../helpers/random";
import { extendedAckError, fuzzNetlink } from "../fuzz/netlink-fuzz";

const record = () => new Uint32Array(core().memory.buffer, core().netlinkRouteRecord(), ROUTE_RECORD_FIELDS);
const message = () => new Uint32Array(core().memory.buffer, core().netlinkMessageRecord(), MESSAGE_RECORD_FIELDS);
const buffer = core().allocate(4096);

function build(fields: Partial<Record<keyof typeof RouteField, number>>, type = NetlinkType.NewRoute, flags = NetlinkFlag.Request | NetlinkFlag.Ack | NetlinkFlag.Create | NetlinkFlag.Exclusive, sequence = 7): Uint8Array {
  const words = record();
  words.fill(0);
  for (const [name, value] of Object.entries(fields)) words[RouteField[name as keyof typeof RouteField]] = value!;
  const length = core().netlinkRouteMessage(buffer, 4096, type, flags, sequence);
  assert.ok(length > 0, `built: ${length}`);
  return memoryBytes().slice(buffer, buffer + length);
}

test("a route request has the kernel's layout: nlmsghdr, rtmsg, RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_PRIORITY, RTA_TABLE", () => {
  const bytes = build({ Family: 2, DestinationLength: 24, Destination: ipv4ToNumber("10.244.1.0"), HasGateway: 1, Gateway: ipv4ToNumber("198.18.0.2"), OutputInterface: 3, HasPriority: 1, Priority: 50, Table: 254, Protocol: 107, Scope: 0, Type: RouteType.Unicast, Flags: RTNH_F_ONLINK });
  const hex = Buffer.from(bytes).toString("hex");
  // 16 header + 12 rtmsg + 5 attributes of 8 = 68 bytes.
  assert.is(bytes.length, 68);
  assert.is(hex.slice(0, 32), "44000000" + "1800" + "0506" + "07000000" + "00000000");
  assert.is(hex.slice(32, 56), "02" + "18" + "00" + "00" + "fe" + "6b" + "00" + "01" + "04000000");
  assert.is(hex.slice(56), "0800" + "0100" + "0af40100" + "0800" + "0500" + "c6120002" + "0800" + "0400" + "03000000" + "0800" + "0600" + "32000000" + "0800" + "0f00" + "fe000000");
});

test("built and read back: the same route; a table above 255 rides in RTA_TABLE only", () => {
  const fields = { Family: 2, DestinationLength: 26, Destination: ipv4ToNumber("10.244.7.64"), Table: 1000, Protocol: 107, Scope: 253, Type: RouteType.Blackhole, Flags: 0, HasGateway: 0, Gateway: 0, OutputInterface: 0, HasPriority: 0, Priority: 0, PreferredSource: ipv4ToNumber("198.18.0.1") };
  const bytes = build(fields);
  assert.is(bytes[16 + 4], 0, "rtm_table unspecified");
  const at = copyIn(bytes);
  assert.is(core().netlinkReadMessage(at, bytes.length), bytes.length);
  assert.is(message()[MessageField.Type], NetlinkType.NewRoute);
  assert.is(message()[MessageField.Sequence], 7);
  record().fill(0xff);
  assert.is(core().netlinkParseRoute(at, bytes.length), Status.Ok);
  const words = record();
  for (const [name, value] of Object.entries(fields)) assert.is(words[RouteField[name as keyof typeof RouteField]], value, name);
});

test("NLMSG_ERROR: the errno and the sequence of the request it answers", () => {
  const error = Buffer.alloc(36);
  error.writeUInt32LE(36, 0);
  error.writeUInt16LE(NetlinkType.Error, 4);
  error.writeUInt32LE(99, 8);
  error.writeInt32LE(-17, 16); // EEXIST
  error.writeUInt32LE(20, 20);
  error.writeUInt32LE(42, 28); // the request's nlmsg_seq
  const at = copyIn(error);
  assert.is(core().netlinkReadMessage(at, 36), 36);
  assert.equal([...message()].slice(0, MESSAGE_RECORD_FIELDS), [NetlinkType.Error, 0, 99, 36, 17, 42, 0, 0]);
  assert.is(core().netlinkReadMessage(at, 30), -Status.Truncated, "cut short");
  error.writeUInt32LE(20, 0);
  assert.is(core().netlinkReadMessage(copyIn(error), 36), -Status.Truncated, "an error message too short for its contents");
});

test("cut, corrupted and random replies are errors, never a trap", () => {
  const whole = build({ Family: 2, DestinationLength: 24, Destination: ipv4ToNumber("10.244.1.0"), HasGateway: 1, Gateway: ipv4ToNumber("198.18.0.2"), Table: 254, Type: RouteType.Unicast });
  for (let cut = 0; cut < whole.length; cut++) {
    const at = copyIn(whole.subarray(0, cut));
    assert.ok(core().netlinkReadMessage(at, cut) < 0, `header check at ${cut}`);
    if (cut < 28) assert.is(core().netlinkParseRoute(at, cut), Status.Truncated, `parse at ${cut}`);
  }
  // An attribute claiming more than the message holds; one shorter than its header.
  const long = whole.slice();
  long[28] = 200;
  assert.is(core().netlinkParseRoute(copyIn(long), long.length), Status.Truncated);
  const short = whole.slice();
  short[28] = 2;
  assert.is(core().netlinkParseRoute(copyIn(short), short.length), Status.BadHeaderLength);
  const next = seededRandom(20261204);
  const random = () => next() / 2 ** 32;
  for (let i = 0; i < 20_000; i++) {
    const bytes = new Uint8Array(Math.floor(random() * 96));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
    if (random() < 0.5 && bytes.length >= 20) new DataView(bytes.buffer).setUint32(0, bytes.length, true);
    const at = copyIn(bytes);
    core().netlinkReadMessage(at, bytes.length);
    core().netlinkParseRoute(at, bytes.length);
  }
});

test("a link, an address and a neighbour read back as built; a veth request nests its peer; a name over 15 bytes is refused", () => {
  const words = (address: number, count: number) => new Uint32Array(core().memory.buffer, address, count);
  const name = copyIn(new TextEncoder().encode("cni0"));
  const link = words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS);
  link.fill(0);
  link[LinkField.PeerNamespaceFd] = NO_NAMESPACE_FD;
  Object.assign(link, { [LinkField.Index]: 7, [LinkField.Flags]: 1, [LinkField.Mtu]: 1450, [LinkField.Master]: 3, [LinkField.HasMac]: 1, [LinkField.MacHigh]: 0x0211, [LinkField.MacLow]: 0x22334455 });
  link[LinkField.NameOffset] = name;
  link[LinkField.NameLength] = 4;
  link[LinkField.Kind] = LinkKind.Bridge;
  const length = core().netlinkLinkMessage(buffer, 4096, NetlinkType.NewLink, 0, 1);
  const bytes = memoryBytes().slice(buffer, buffer + length);
  // 16 + ifinfomsg 16 + IFLA_IFNAME 12 + IFLA_ADDRESS 12 + IFLA_MTU 8 + IFLA_MASTER 8 + IFLA_LINKINFO(4 + IFLA_INFO_KIND "bridge\0" 12) 16.
  assert.is(length, 88);
  assert.is(Buffer.from(bytes.subarray(72, 88)).toString("hex"), "1000" + "1200" + "0b00" + "0100" + Buffer.from("bridge\0").toString("hex") + "00");
  assert.is(core().netlinkParseLink(copyIn(bytes), length), Status.Ok);
  const parsed = words(core().netlinkLinkRecord(), LINK_RECORD_FIELDS);
  assert.equal([parsed[LinkField.Index], parsed[LinkField.Flags], parsed[LinkField.Mtu], parsed[LinkField.Master], parsed[LinkField.MacHigh], parsed[LinkField.MacLow], parsed[LinkField.Kind], parsed[LinkField.NameLength]], [7, 1, 1450, 3, 0x0211, 0x22334455, LinkKind.Bridge, 4]);
  assert.is(new TextDecoder().decode(memoryBytes().subarray(parsed[LinkField.NameOffset], parsed[LinkField.NameOffset] + 4)), "cni0");

  // veth: IFLA_LINKINFO { KIND "veth", DATA { VETH_INFO_PEER { ifinfomsg, IFLA_IFNAME, IFLA_NET_NS_FD } } }.
  link.fill(0);
  link[LinkField.NameOffset] = name;
  link[LinkField.NameLength] = 4;
  link[LinkField.Kind] = LinkKind.Veth;
  link[LinkField.PeerNameOffset] = name;
  link[LinkField.PeerNameLength] = 4;
  link[LinkField.PeerNamespaceFd] = 9;
  const veth = memoryBytes().slice(buffer, buffer + core().netlinkLinkMessage(buffer, 4096, NetlinkType.NewLink, 0, 2));
  const view = new DataView(veth.buffer);
  // After header, ifinfomsg and IFLA_IFNAME (12): IFLA_LINKINFO, whose length covers the peer.
  assert.equal([view.getUint16(44, true), view.getUint16(46, true)], [veth.length - 44, 18]);
  assert.equal([view.getUint16(60, true), view.getUint16(62, true), view.getUint16(64, true), view.getUint16(66, true)], [veth.length - 60, 2, veth.length - 64, 1]);
  assert.equal([view.getUint16(veth.length - 8, true), view.getUint16(veth.length - 6, true), view.getUint32(veth.length - 4, true)], [8, 28, 9]);
  link[LinkField.NameLength] = 16;
  assert.is(core().netlinkLinkMessage(buffer, 4096, NetlinkType.NewLink, 0, 3), -Status.BadArgument);

  const address = words(core().netlinkAddressRecord(), ADDRESS_RECORD_FIELDS);
  address.set([24, 0, 0, 5, ipv4ToNumber("10.244.1.1")]);
  const addressLength = core().netlinkAddressMessage(buffer, 4096, NetlinkType.NewAddress, 0, 4);
  assert.is(addressLength, 16 + 8 + 8 + 8);
  address.fill(0);
  assert.is(core().netlinkParseAddress(buffer, addressLength), Status.Ok);
  assert.equal([...words(core().netlinkAddressRecord(), ADDRESS_RECORD_FIELDS)], [24, 0, 0, 5, ipv4ToNumber("10.244.1.1")]);
  address[AddressField.PrefixLength] = 33;
  assert.is(core().netlinkAddressMessage(buffer, 4096, NetlinkType.NewAddress, 0, 5), -Status.BadArgument);

  const neighbour = words(core().netlinkNeighbourRecord(), NEIGHBOUR_RECORD_FIELDS);
  const fdb = [NetlinkFamily.Bridge, 4, 0xc0, 2, 1, ipv4ToNumber("198.18.0.2"), 1, 0xaabb, 0xcc000002];
  neighbour.set(fdb);
  const neighbourLength = core().netlinkNeighbourMessage(buffer, 4096, NetlinkType.NewNeighbour, 0, 6);
  assert.is(neighbourLength, 16 + 12 + 8 + 12);
  neighbour.fill(0);
  assert.is(core().netlinkParseNeighbour(buffer, neighbourLength), Status.Ok);
  assert.equal([...words(core().netlinkNeighbourRecord(), NEIGHBOUR_RECORD_FIELDS)], fdb);
  assert.is(neighbour[NeighbourField.Family], NetlinkFamily.Bridge);
});

test("an error with an extended ACK: the kernel's text is found; one whose attribute lies is Truncated", () => {
  const error = extendedAckError(22, 9, "Nexthop has invalid gateway");
  const view = new DataView(error.buffer);
  const at = copyIn(error);
  assert.is(core().netlinkReadMessage(at, error.length), error.length);
  const fields = message();
  assert.equal([fields[MessageField.Errno], fields[MessageField.ErrorSequence], fields[MessageField.ErrorTextLength]], [22, 9, 27]);
  assert.is(new TextDecoder().decode(memoryBytes().subarray(fields[MessageField.ErrorText], fields[MessageField.ErrorText] + 27)), "Nexthop has invalid gateway");
  view.setUint16(36, 200, true);
  assert.is(core().netlinkReadMessage(copyIn(error), error.length), -Status.Truncated);
});

test("50,000 fuzzed replies through readMessage and every parser: no trap, no stray write, defined statuses", () => {
  const report = fuzzNetlink(20261204, 50_000);
  assert.equal(report.failures, []);
  assert.is(report.executions, 50_000 * 5);
  for (const status of ["Ok", "Truncated", "BadHeaderLength", "Unsupported"]) assert.ok((report.statuses[status] ?? 0) > 0, `no input ended ${status}`);
});

test.run();
