// Which addresses a store entry may name as another node's: never loopback, unspecified,
// link-local, multicast, reserved or broadcast, nor this node's own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { unusableNodeAddress } from "../../host/agent/node-address";

test("another node's address: an ordinary unicast address other than ours", () => {
  for (const address of ["198.18.0.2", "10.0.0.1", "192.168.50.11", "223.255.255.254", "1.0.0.0"]) assert.is(unusableNodeAddress(address, "198.18.0.1"), undefined, address);
});

test("refused, naming why", () => {
  const cases: Array<[string, string]> = [
    ["198.18.0.1", "198.18.0.1 is this node's own address"],
    ["127.0.0.1", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["127.255.0.9", "127.255.0.9 is a loopback address (127.0.0.0/8)"],
    ["0.0.0.0", "0.0.0.0 is an unspecified address (0.0.0.0/8)"],
    ["169.254.1.1", "169.254.1.1 is a link-local address (169.254.0.0/16)"],
    ["224.0.0.5", "224.0.0.5 is a multicast address (224.0.0.0/4)"],
    ["239.255.255.255", "239.255.255.255 is a multicast address (224.0.0.0/4)"],
    ["255.255.255.255", "255.255.255.255 is a reserved or broadcast address (240.0.0.0/4)"],
    ["10.0.0.300", "'10.0.0.300' is not an IPv4 address"],
  ];
  for (const [address, why] of cases) assert.is(unusableNodeAddress(address, "198.18.0.1"), why);
});

test.run();
