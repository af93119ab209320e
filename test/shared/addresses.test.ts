// ipv4ToNumber is a hand-written one-pass parser (a BGP table load parses every next hop): it must
// accept and refuse exactly what ipaddr.js's four-part decimal check does, and give the same number.
import { test } from "uvu";
import * as assert from "uvu/assert";
import ipaddr from "ipaddr.js";
import { ipv4ToNumber } from "../../host/shared/addresses";
import { seededRandom } from "../helpers/random";

const reference = (text: string): number | "refused" =>
  ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).octets.reduce((sum, octet) => sum * 256 + octet, 0) : "refused";
const ours = (text: string): number | "refused" => {
  try {
    return ipv4ToNumber(text);
  } catch {
    return "refused";
  }
};

test("ipv4ToNumber agrees with ipaddr.js on edge cases and 200,000 random texts", () => {
  const cases = ["1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "10.0.0.010", "1.2.3.", "", ".1.2.3", "0.0.0.00", "1.2.3.4\n", "1e1.2.3.4", "-1.2.3.4"];
  for (const text of cases) assert.is(ours(text), reference(text), JSON.stringify(text));
  assert.is(ipv4ToNumber("198.18.0.1"), 0xc6120001);
  assert.throws(() => ipv4ToNumber("1.2.3"), /not an IPv4 address: '1.2.3'/);
  const random = seededRandom(7);
  const alphabet = "0123456789..";
  for (let i = 0; i < 200_000; i++) {
    const text = i % 2 === 0
      ? `${random() % 300}.${random() % 300}.${random() % 300}.${random() % 300}`
      : Array.from({ length: 1 + (random() % 15) }, () => alphabet[random() % alphabet.length]).join("");
    assert.is(ours(text), reference(text), JSON.stringify(text));
  }
});

test.run();
