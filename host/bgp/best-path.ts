// Best path selection (RFC 4271 §9.1.2.2, RFC 4456 §9), as rounds that each drop the paths that lose
// on one property, so the outcome never depends on the order paths arrived in:
//   0. this speaker's own routes
//   1. highest LOCAL_PREF
//   2. shortest AS_PATH
//   3. lowest ORIGIN (IGP < EGP < INCOMPLETE)
//   4. lowest MED, among paths from the same neighbouring AS (absent MED counts as 0)
//   5. eBGP over iBGP
//   6. lowest BGP identifier (ORIGINATOR_ID for a reflected route)
//   7. shortest CLUSTER_LIST
//   8. lowest peer address
//   9. lowest path identifier (ADD-PATH)

import { ipv4ToNumber } from "../shared/addresses";
import { asPathLength, neighborAs, type Path } from "./route";

/** Keeps the paths whose key is the smallest. */
function keepLowest(paths: Path[], key: (path: Path) => number | bigint): Path[] {
  if (paths.length <= 1) return paths;
  let best = key(paths[0]);
  for (let i = 1; i < paths.length; i++) {
    const value = key(paths[i]);
    if (value < best) best = value;
  }
  return paths.filter((path) => key(path) === best);
}

function addressKey(address: string): bigint {
  if (!address.includes(":")) return BigInt(ipv4ToNumber(address));
  // IPv6 peers sort after every IPv4 one; among themselves by their text (rare, and still deterministic).
  let key = 1n << 40n;
  for (const char of address) key = key * 131n + BigInt(char.charCodeAt(0));
  return key;
}

function medRound(paths: Path[]): Path[] {
  if (paths.length <= 1) return paths;
  const lowestByAs = new Map<number | undefined, number>();
  for (const path of paths) {
    const as = neighborAs(path.attributes.asPath);
    const med = path.attributes.med ?? 0;
    const lowest = lowestByAs.get(as);
    if (lowest === undefined || med < lowest) lowestByAs.set(as, med);
  }
  return paths.filter((path) => (path.attributes.med ?? 0) === lowestByAs.get(neighborAs(path.attributes.asPath)));
}

/** The best of `paths` (non-empty). */
export function selectBest(paths: Path[]): Path {
  let candidates = paths;
  candidates = keepLowest(candidates, (path) => (path.source.local ? 0 : 1));
  candidates = keepLowest(candidates, (path) => -path.attributes.localPref);
  candidates = keepLowest(candidates, (path) => asPathLength(path.attributes.asPath));
  candidates = keepLowest(candidates, (path) => path.attributes.origin);
  candidates = medRound(candidates);
  candidates = keepLowest(candidates, (path) => (path.source.internal ? 1 : 0));
  candidates = keepLowest(candidates, (path) => addressKey(path.attributes.originatorId ?? path.source.routerId));
  candidates = keepLowest(candidates, (path) => path.attributes.clusterList.length);
  candidates = keepLowest(candidates, (path) => addressKey(path.source.address === "local" ? "0.0.0.0" : path.source.address));
  candidates = keepLowest(candidates, (path) => path.pathId);
  return candidates[0];
}
