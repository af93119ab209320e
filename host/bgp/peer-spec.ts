// The text forms an operator writes: `--peer ADDR,as=N[,port=P][,passive][,password=S|password-file=F][,rr-client]
// [,hold=S][,multihop][,ttl-security][,connect-retry=S][,import=all|none][,export=all|none]
// [,local-address=A]` and `--announce PREFIX[,next-hop=ADDR][,community=A:B]...`. A bad key or
// value is refused by name.

import ipaddr from "ipaddr.js";
import { peerDefaults, type PeerConfig, type PolicyChoice } from "./config";
import { parseCommunity } from "./route";
import { readPasswordFile } from "../shared/password-file";
import type { LocalRoute } from "./speaker";

export class SpecError extends Error {}

const PEER_FLAGS = new Set(["passive", "rr-client", "multihop", "ttl-security"]);
const PEER_VALUES = new Set(["as", "port", "password", "password-file", "hold", "connect-retry", "import", "export", "local-address"]);

/** A 4-octet AS number, 1–4294967295. */
export function parseAsNumber(text: string, what: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) throw new SpecError(`${what}: AS number must be 1–4294967295, got '${text}'`);
  return value;
}

/** Dotted-quad IPv4 text, or a SpecError naming `what`. */
export function parseIpv4(text: string, what: string): string {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) throw new SpecError(`${what}: '${text}' is not an IPv4 address`);
  return text;
}

function parseSeconds(text: string, what: string, minimum: number, maximum: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= minimum && value <= maximum)) throw new SpecError(`${what}: must be ${minimum}–${maximum} seconds, got '${text}'`);
  return value;
}

function parsePolicy(text: string, what: string): PolicyChoice {
  if (text !== "all" && text !== "none") throw new SpecError(`${what}: must be all or none, got '${text}'`);
  return text;
}

/**
 * The spec as an error may quote it: only the values of known options other than password=;
 * any other value (the password, a misspelling of its key) shows as ***.
 */
function withoutSecrets(spec: string): string {
  const quotable = (key: string) => PEER_VALUES.has(key) && key !== "password";
  return spec.replace(/(^|,)([^,=]+)=([^,]*)/g, (whole, comma: string, key: string) => (quotable(key) ? whole : `${comma}${key}=***`));
}

export function parsePeerSpec(spec: string): PeerConfig {
  const [address, ...options] = spec.split(",");
  if (!ipaddr.isValid(address)) throw new SpecError(`--peer ${withoutSecrets(spec)}: '${address}' is not an IP address`);
  const settings = new Map<string, string>();
  for (const option of options) {
    const equals = option.indexOf("=");
    const key = equals < 0 ? option : option.slice(0, equals);
    if (PEER_FLAGS.has(key) && equals < 0) settings.set(key, "");
    else if (PEER_VALUES.has(key) && equals > 0) settings.set(key, option.slice(equals + 1));
    // Only the key is quoted: a misspelt password= would otherwise show its value.
    else throw new SpecError(`--peer ${withoutSecrets(spec)}: unknown option '${key}' (known: ${[...PEER_VALUES].map((name) => `${name}=`).join(", ")}, ${[...PEER_FLAGS].join(", ")})`);
  }
  const what = `--peer ${address}`;
  if (!settings.has("as")) throw new SpecError(`${what}: as=N is required`);
  const hold = settings.has("hold") ? parseSeconds(settings.get("hold")!, `${what} hold`, 0, 65535) : undefined;
  if (hold === 1 || hold === 2) throw new SpecError(`${what} hold: must be 0 or 3–65535 seconds (RFC 4271 §4.2), got '${hold}'`);
  let password = settings.get("password");
  if (password !== undefined && (password.length === 0 || Buffer.byteLength(password) > 80)) throw new SpecError(`${what} password: must be 1–80 bytes (TCP_MD5SIG_MAXKEYLEN)`);
  const passwordFile = settings.get("password-file");
  if (passwordFile !== undefined) {
    if (password !== undefined) throw new SpecError(`${what}: give password= or password-file=, not both`);
    // A file keeps the key out of argv, where `ps` shows it to every local user.
    try {
      password = readPasswordFile(passwordFile);
    } catch (error) {
      throw new SpecError(`${what} password-file: ${(error as Error).message}`);
    }
  }
  const overrides: Partial<PeerConfig> = {
    passive: settings.has("passive"),
    routeReflectorClient: settings.has("rr-client"),
    multihop: settings.has("multihop"),
    ttlSecurity: settings.has("ttl-security"),
    password,
  };
  if (settings.has("port")) overrides.port = parseSeconds(settings.get("port")!, `${what} port`, 1, 65535);
  if (hold !== undefined) overrides.holdTime = hold;
  if (settings.has("connect-retry")) overrides.connectRetry = parseSeconds(settings.get("connect-retry")!, `${what} connect-retry`, 1, 3600);
  if (settings.has("import")) overrides.importPolicy = parsePolicy(settings.get("import")!, `${what} import`);
  if (settings.has("export")) overrides.exportPolicy = parsePolicy(settings.get("export")!, `${what} export`);
  if (settings.has("local-address")) overrides.localAddress = parseIpv4(settings.get("local-address")!, `${what} local-address`);
  return peerDefaults(address, parseAsNumber(settings.get("as")!, `${what} as`), overrides);
}

/** "10.1.0.0/24" as written, or a SpecError naming what is wrong (not a prefix, host bits set). */
export function parseSpecPrefix(text: string, what: string): string {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new SpecError(`${what}: '${text}' is not a prefix (address/length)`);
  }
  const [address, length] = parsed;
  const show = (value: ipaddr.IPv4 | ipaddr.IPv6) => (value.kind() === "ipv4" ? value.toString() : (value as ipaddr.IPv6).toRFC5952String());
  const network = address.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  const canonical = `${show(network)}/${length}`;
  if (show(network) !== show(address)) throw new SpecError(`${what}: '${text}' has host bits set (did you mean ${canonical}?)`);
  return canonical;
}

export function parseAnnounceSpec(spec: string): LocalRoute {
  const [prefixText, ...options] = spec.split(",");
  const prefix = parseSpecPrefix(prefixText, `--announce ${spec}`);
  const route: LocalRoute = { prefix, communities: [] };
  for (const option of options) {
    const [key, value] = [option.slice(0, option.indexOf("=")), option.slice(option.indexOf("=") + 1)];
    if (key === "next-hop") route.nextHop = parseIpv4(value, `--announce ${prefix} next-hop`);
    else if (key === "community") {
      const community = parseCommunity(value);
      if (community === null) throw new SpecError(`--announce ${prefix} community: '${value}' is not A:B with both parts 0–65535`);
      route.communities!.push(community);
    } else throw new SpecError(`--announce ${spec}: unknown option '${option}' (known: next-hop=, community=)`);
  }
  return route;
}
