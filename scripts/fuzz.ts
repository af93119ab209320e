// npm run fuzz [-- INPUTS [SEED [LOOKUPS]]]: the full fuzz campaigns — INPUTS (default 1,000,000)
// random and mutated inputs through every parse and the batch data path, as many mutated BGP
// messages through the BGP codec and as many rtnetlink replies through the netlink readers, as many
// mutated UPDATEs from a hostile peer into a live speaker with two good peers (root: namespaces),
// and LOOKUPS (default 10,000,000) route lookups checked against an independent reference. Prints
// a JSON report and exits 1 on any failure.
import { fuzzWire } from "../test/fuzz/wire-fuzz";
import { fuzzRoutes } from "../test/fuzz/route-fuzz";
import { fuzzBgp } from "../test/fuzz/bgp-fuzz";
import { fuzzNetlink } from "../test/fuzz/netlink-fuzz";
import { fuzzBgpSessions } from "../test/fuzz/bgp-session-fuzz";
import { cleanupNamespaces } from "../test/netns/namespaces";

const inputs = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const lookups = Number(process.argv[4] ?? 10_000_000);
if (![inputs, seed, lookups].every((value) => Number.isInteger(value) && value >= 0)) {
  console.error("usage: npm run fuzz -- [INPUTS] [SEED] [LOOKUPS]");
  process.exit(2);
}
let started = Date.now();
const wire = fuzzWire(seed, inputs);
const wireSeconds = (Date.now() - started) / 1000;
started = Date.now();
const bgp = fuzzBgp(seed, inputs);
const bgpSeconds = (Date.now() - started) / 1000;
started = Date.now();
const netlink = fuzzNetlink(seed, inputs);
const netlinkSeconds = (Date.now() - started) / 1000;
let sessions;
try {
  sessions = await fuzzBgpSessions(seed, inputs);
} finally {
  cleanupNamespaces();
}
const sessionsFailed = sessions.failures.length > 0 || !sessions.goodSessionsUp || sessions.speaker.exitedEarly;
started = Date.now();
const routes = fuzzRoutes(seed, lookups);
const routeSeconds = (Date.now() - started) / 1000;
console.log(JSON.stringify({ seed, wire: { ...wire, seconds: wireSeconds }, bgp: { ...bgp, seconds: bgpSeconds }, netlink: { ...netlink, seconds: netlinkSeconds }, bgpSessions: sessions, routes: { ...routes, seconds: routeSeconds } }, null, 2));
process.exitCode = wire.failures.length > 0 || bgp.failures.length > 0 || netlink.failures.length > 0 || sessionsFailed || routes.disagreements.length > 0 ? 1 : 0;
