// The Wasm core's rtnetlink messages without a kernel: a route request built from the record reads
// back as the same route, its bytes are the kernel's layout, and cut or corrupted replies are
// errors (Truncated, BadHeaderLength), never a trap.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MESSAGE_RECORD_FIELDS, MessageField, NetlinkFlag, NetlinkType, ROUTE_RECORD_FIELDS, RouteField, RouteType, RTNH_F_ONLINK } from "../../assembly/shared/netlink";
import { Status } from "../../assembly/shared/status";
import { core } from "../../host/wasm/module";
import { copyIn, memoryBytes } from "../../host/wasm/scratch";
import { ipv4ToNumber } from "../../host/net/addresses";
import { seededRandom } from "../helpers/random";

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
  assert.equal([...message()].slice(0, MESSAGE_RECORD_FIELDS), [NetlinkType.Error, 0, 99, 36, 17, 42]);
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

test.run();
