// Route table files for `podnet route`: either lines of "prefix nexthop" (comments with #), or
// the JSON array `ip -json route` prints. Next hops are labels (a number, a gateway, "dev X");
// the table stores each distinct label once, as an index.

import { parsePrefix } from "../shared/addresses";
import { RouteError } from "../wasm/route-table";

/** One route read from a file: a validated prefix text and its next-hop label. */
interface TableRoute {
  prefix: string;
  nextHop: string;
}

/** A route in `ip -json route` output (only the fields used here). */
interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  type?: string;
}

/** Parses a table file's text; errors name the file, the line (or entry) and the problem. */
export function parseTableFile(text: string, name: string): TableRoute[] {
  const trimmed = text.trimStart();
  return trimmed.startsWith("[") ? parseIpJson(trimmed, name) : parseLines(text, name);
}

function parseLines(text: string, name: string): TableRoute[] {
  const routes: TableRoute[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new RouteError(`${name}:${index + 1}: expected "prefix nexthop", got '${line}'`);
    try {
      parsePrefix(fields[0]);
    } catch (error) {
      throw new RouteError(`${name}:${index + 1}: ${(error as Error).message}`);
    }
    routes.push({ prefix: fields[0], nextHop: fields[1] });
  });
  return routes;
}

function parseIpJson(text: string, name: string): TableRoute[] {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new RouteError(`${name}: not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new RouteError(`${name}: expected the JSON array \`ip -json route\` prints`);
  return entries.map((entry: IpRoute, index) => {
    if (typeof entry !== "object" || entry === null || typeof entry.dst !== "string") {
      throw new RouteError(`${name}: route ${index + 1} has no "dst"`);
    }
    const prefix = entry.dst === "default" ? "0.0.0.0/0" : entry.dst.includes("/") ? entry.dst : `${entry.dst}/32`;
    try {
      parsePrefix(prefix);
    } catch (error) {
      throw new RouteError(`${name}: route ${index + 1}: ${(error as Error).message}`);
    }
    const nextHop = entry.type && entry.type !== "unicast" ? entry.type : entry.gateway ? `via ${entry.gateway}` : `dev ${entry.dev ?? "?"}`;
    return { prefix, nextHop };
  });
}

/** Interns next-hop labels as indices: index i is labels[i]. */
export function internNextHops(routes: TableRoute[]): { labels: string[]; rows: Array<[string, number]> } {
  const indices = new Map<string, number>();
  const labels: string[] = [];
  const rows = routes.map(({ prefix, nextHop }): [string, number] => {
    let index = indices.get(nextHop);
    if (index === undefined) {
      index = labels.length;
      indices.set(nextHop, index);
      labels.push(nextHop);
    }
    return [prefix, index];
  });
  return { labels, rows };
}
