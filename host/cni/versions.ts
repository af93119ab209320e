// Spec versions podnet speaks, and the result object in each: 0.3.x and 0.4.0 carry "version" on
// every IP; 1.0.0 dropped it; 1.1.0 added an interface's "mtu".

import { CniError, CniErrorCode } from "./errors";

export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export const LATEST_VERSION = "1.1.0";

interface ResultInterface {
  name: string;
  mac: string;
  sandbox?: string;
  mtu?: number;
}
interface ResultIp {
  address: string;
  gateway?: string;
  interface?: number;
}
interface ResultRoute {
  dst: string;
  gw?: string;
}
/** An ADD result, version-neutral (1.1.0's shape). */
export interface CniResult {
  interfaces: ResultInterface[];
  ips: ResultIp[];
  routes: ResultRoute[];
  dns: Record<string, unknown>;
}

function parts(version: string): number[] {
  return version.split(".").map(Number);
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let index = 0; index < 3; index++) {
    if ((x[index] ?? 0) !== (y[index] ?? 0)) return (x[index] ?? 0) < (y[index] ?? 0) ? -1 : 1;
  }
  return 0;
}

/** Refuses a cniVersion podnet cannot answer in (code 1). */
export function checkVersion(version: string): void {
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(CniErrorCode.IncompatibleVersion, `cniVersion "${version}" is not supported; podnet supports ${SUPPORTED_VERSIONS.join(", ")}`);
  }
}

/** The oldest version that has each command; older configs are refused as the spec's skel does. */
const COMMAND_SINCE: Record<string, string> = { CHECK: "0.4.0", STATUS: "1.1.0", GC: "1.1.0" };

export function checkCommandVersion(command: string, version: string): void {
  const since = COMMAND_SINCE[command];
  if (since && compareVersions(version, since) < 0) {
    throw new CniError(CniErrorCode.IncompatibleVersion, `${command} needs cniVersion ${since} or later, the config says "${version}"`);
  }
}

/** The result as the runtime asked for it. */
export function formatResult(result: CniResult, version: string): Record<string, unknown> {
  const legacy = compareVersions(version, "1.0.0") < 0;
  const withMtu = compareVersions(version, "1.1.0") >= 0;
  return {
    cniVersion: version,
    interfaces: result.interfaces.map(({ mtu, ...rest }) => (withMtu && mtu !== undefined ? { ...rest, mtu } : rest)),
    ips: result.ips.map((ip) => (legacy ? { version: "4", ...ip } : ip)),
    routes: result.routes,
    dns: result.dns,
  };
}

/** A prevResult in any supported version, back in the neutral shape; undefined when absent. */
export function parsePreviousResult(value: unknown): CniResult | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") throw new CniError(CniErrorCode.DecodingFailure, "prevResult must be an object");
  const previous = value as Partial<Record<keyof CniResult, unknown>>;
  const list = <T>(field: keyof CniResult): T[] => {
    const items = previous[field] ?? [];
    if (!Array.isArray(items)) throw new CniError(CniErrorCode.DecodingFailure, `prevResult.${field} must be a list`);
    return items as T[];
  };
  return {
    interfaces: list<ResultInterface>("interfaces"),
    ips: list<ResultIp & { version?: string }>("ips").map(({ version: _version, ...ip }) => ip),
    routes: list<ResultRoute>("routes"),
    dns: (previous.dns as Record<string, unknown>) ?? {},
  };
}
