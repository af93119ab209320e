// `podnet bgp serve` refuses a bad flag or peer spec by name, with exit 2, before it opens anything.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runPodnet } from "../helpers/run-binary";

const serve = (...args: string[]) => runPodnet(["bgp", "serve", "--control", "/nonexistent/ctl", ...args]);

test("bad router ID, AS, peer spec or announcement: exit 2 naming the problem", () => {
  const cases: Array<[string[], string]> = [
    [["--as", "64512", "--router-id", "999.1.1.1"], "--router-id: '999.1.1.1' is not an IPv4 address"],
    [["--as", "64512", "--router-id", "0.0.0.0"], "--router-id: must not be 0.0.0.0 (RFC 6286)"],
    [["--as", "0", "--router-id", "198.18.0.1"], "--as: AS number must be 1–4294967295, got '0'"],
    [["--as", "64512", "--router-id", "198.18.0.1", "--peer", "198.18.0.2,as=64512,hold=2"], "--peer 198.18.0.2 hold: must be 0 or 3–65535 seconds (RFC 4271 §4.2), got '2'"],
    [["--as", "64512", "--router-id", "198.18.0.1", "--peer", "198.18.0.2,as=64512,bogus"], "--peer 198.18.0.2,as=64512,bogus: unknown option 'bogus'"],
    [["--as", "64512", "--router-id", "198.18.0.1", "--peer", "198.18.0.2,as=64512,password-file=/nonexistent/md5"], "--peer 198.18.0.2 password-file: cannot read the password file /nonexistent/md5: ENOENT"],
    [["--as", "64512", "--router-id", "198.18.0.1", "--peer", "198.18.0.2,as=64512,password=x,password-file=/etc/hostname"], "--peer 198.18.0.2: give password= or password-file=, not both"],
    [["--as", "64512", "--router-id", "198.18.0.1", "--announce", "10.244.1.1/24"], "--announce 10.244.1.1/24: '10.244.1.1/24' has host bits set (did you mean 10.244.1.0/24?)"],
  ];
  for (const [args, message] of cases) {
    const result = serve(...args);
    assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test.run();
