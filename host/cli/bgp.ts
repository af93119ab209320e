// `podnet bgp`: a standalone BGP-4 speaker (serve), and its client (show, announce, withdraw) over
// the control socket. Runs until SIGTERM or SIGINT, then closes every session with Cease
// (Administrative Shutdown).

import { table } from "./table";
import { Command, Option } from "commander";
import { Registry } from "prom-client";
import { createLogger, type LogFormat } from "../agent/log";
import { serveMetrics } from "../agent/metrics";
import { controlRequest, serveControl } from "../bgp/control";
import { speakerCounters } from "../bgp/metrics";
import { parseAnnounceSpec, parseAsNumber, parseIpv4, parsePeerSpec, parseSpecPrefix, SpecError } from "../bgp/peer-spec";
import { Speaker } from "../bgp/speaker";
import { socketTransport } from "../bgp/socket-options";
import type { PeerStatus, RouteStatus } from "../bgp/status";
import { UsageError } from "./usage-error";

export const DEFAULT_CONTROL_SOCKET = "/run/podnet/bgp.ctl";

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SpecError) throw new UsageError(error.message);
    throw error;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseListen(text: string): { address: string; port: number } {
  const match = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*::[0-9a-fA-F:]*)(?::(\d+))?$/.exec(text);
  const port = match?.[2] === undefined ? 179 : Number(match[2]);
  if (!match || port < 0 || port > 65535) throw new UsageError(`--listen: expected ADDR[:PORT], got '${text}'`);
  return { address: match[1].replace(/^\[|\]$/g, ""), port };
}

function serveCommand(): Command {
  return new Command("serve")
    .description("run a BGP-4 speaker with the given peers and announcements")
    .requiredOption("--as <number>", "this speaker's AS number (4-octet allowed)")
    .requiredOption("--router-id <a.b.c.d>", "this speaker's BGP identifier")
    .option("--listen <addr[:port]>", "where to accept BGP connections", "0.0.0.0:179")
    .option("--peer <spec>", "a neighbour: ADDR,as=N[,port=P][,passive][,password=S|password-file=F][,rr-client][,hold=S][,multihop][,ttl-security][,connect-retry=S][,import=all|none][,export=all|none][,local-address=A] (repeat)", collect, [])
    .option("--announce <spec>", "a route of our own: PREFIX[,next-hop=ADDR][,community=A:B] (repeat)", collect, [])
    .option("--cluster-id <a.b.c.d>", "route reflector cluster ID (default: the router ID)")
    .option("--graceful-restart <seconds>", "announce graceful restart (RFC 4724) with this restart time")
    .option("--restarting", "set the Restart State and Forwarding State bits: this speaker restarted and kept its routes")
    .option("--control <path>", "the control socket", DEFAULT_CONTROL_SOCKET)
    .option("--metrics-address <host:port>", "where /metrics listens ('none': nowhere)", "none")
    .addOption(new Option("--log-format <format>", "text or json").choices(["text", "json"]).default("text"))
    .option("--log-level <level>", "pino level: debug, info, warn", "info")
    .action(async (flags: { as: string; routerId: string; listen: string; peer: string[]; announce: string[]; clusterId?: string; gracefulRestart?: string; restarting?: boolean; control: string; metricsAddress: string; logFormat: LogFormat; logLevel: string }) => {
      const localAs = usage(() => parseAsNumber(flags.as, "--as"));
      usage(() => parseIpv4(flags.routerId, "--router-id"));
      if (flags.routerId === "0.0.0.0") throw new UsageError("--router-id: must not be 0.0.0.0 (RFC 6286)");
      if (flags.clusterId !== undefined) usage(() => parseIpv4(flags.clusterId!, "--cluster-id"));
      const restartTime = flags.gracefulRestart === undefined ? undefined : Number(flags.gracefulRestart);
      if (restartTime !== undefined && !(Number.isInteger(restartTime) && restartTime >= 1 && restartTime <= 4095)) throw new UsageError(`--graceful-restart: must be 1–4095 seconds, got '${flags.gracefulRestart}'`);
      const peers = usage(() => flags.peer.map(parsePeerSpec));
      const routes = usage(() => flags.announce.map(parseAnnounceSpec));
      const listen = parseListen(flags.listen);
      const log = createLogger(flags.logFormat, flags.logLevel, process.stderr, "podnet-bgp");
      const registry = new Registry();
      const config = { localAs, routerId: flags.routerId, listen, clusterId: flags.clusterId, gracefulRestartTime: restartTime, restarting: flags.restarting };
      const speaker = new Speaker(config, log, speakerCounters(registry), socketTransport(log));
      for (const peer of peers) speaker.addPeer(peer);
      for (const route of routes) speaker.announce(route);
      const control = await serveControl(speaker, flags.control);
      const metrics = flags.metricsAddress === "none" ? undefined : await serveMetrics({ registry }, flags.metricsAddress, () => true);
      const port = await speaker.start();
      log.info({ as: localAs, routerId: flags.routerId, port, peers: peers.length, control: flags.control, metricsPort: metrics?.port }, `BGP speaker AS ${localAs} listening on ${listen.address}:${port}`);
      await new Promise<void>((resolve) => {
        const shutdown = async (signal: string) => {
          log.info(`${signal}: closing every session`);
          await speaker.stop();
          control.close();
          metrics?.server.close();
          log.info("BGP speaker stopped");
          resolve();
        };
        process.once("SIGTERM", () => void shutdown("SIGTERM"));
        process.once("SIGINT", () => void shutdown("SIGINT"));
      });
    });
}

function showCommand(): Command {
  return new Command("show")
    .description("show a running speaker's peers or Loc-RIB")
    .argument("[what]", "peers or routes", "peers")
    .option("--control <path>", "the control socket", DEFAULT_CONTROL_SOCKET)
    .option("--prefix <prefix>", "routes: only this prefix")
    .option("--json", "JSON (one array)")
    .action(async (what: string, flags: { control: string; prefix?: string; json?: boolean }) => {
      if (what !== "peers" && what !== "routes") throw new UsageError(`bgp show: expected peers or routes, got '${what}'`);
      const prefix = flags.prefix === undefined ? undefined : usage(() => parseSpecPrefix(flags.prefix!, "--prefix"));
      const result = await controlRequest(flags.control, what === "peers" ? { command: "peers" } : { command: "routes", prefix });
      if (flags.json) {
        process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      } else if (what === "peers") {
        const peers = result as PeerStatus[];
        process.stdout.write(
          table(
            ["PEER", "AS", "TYPE", "STATE", "SINCE", "RECEIVED", "ACCEPTED", "SENT", "INFO"],
            peers.map((peer) => [peer.address, String(peer.as), peer.type, peer.state, peer.since.replace(/\.\d+Z$/, "Z"), String(peer.prefixes.received), String(peer.prefixes.accepted), String(peer.prefixes.sent), peer.state === "Established" ? peer.capabilities.join(",") : (peer.lastError ?? "")]),
          ),
        );
      } else {
        const routes = result as RouteStatus[];
        process.stdout.write(
          table(
            ["PREFIX", "NEXT HOP", "AS PATH", "ORIGIN", "LOCPRF", "MED", "COMMUNITIES", "FROM", "FLAGS"],
            routes.map((route) => [route.prefix, route.nextHop, route.asPath || "-", route.origin, String(route.localPref), route.med === null ? "-" : String(route.med), route.communities.join(" ") || "-", route.from, [route.best ? "best" : "", route.stale ? "stale" : ""].filter(Boolean).join(",") || "-"]),
          ),
        );
      }
    });
}

function announceCommand(): Command {
  return new Command("announce")
    .description("announce a route of the running speaker's own")
    .argument("<prefix>", "the prefix")
    .option("--next-hop <address>", "next hop (default: our address on each session)")
    .option("--community <a:b>", "a community (repeat)", collect, [])
    .option("--control <path>", "the control socket", DEFAULT_CONTROL_SOCKET)
    .action(async (prefixText: string, flags: { nextHop?: string; community: string[]; control: string }) => {
      const prefix = usage(() => parseSpecPrefix(prefixText, "prefix"));
      await controlRequest(flags.control, { command: "announce", prefix, nextHop: flags.nextHop, communities: flags.community });
    });
}

function withdrawCommand(): Command {
  return new Command("withdraw")
    .description("withdraw a route the running speaker announced")
    .argument("<prefix>", "the prefix")
    .option("--control <path>", "the control socket", DEFAULT_CONTROL_SOCKET)
    .action(async (prefixText: string, flags: { control: string }) => {
      const prefix = usage(() => parseSpecPrefix(prefixText, "prefix"));
      await controlRequest(flags.control, { command: "withdraw", prefix });
    });
}

export function bgpCommand(): Command {
  return new Command("bgp")
    .description("BGP-4 speaker: serve, show, announce, withdraw")
    .addCommand(serveCommand())
    .addCommand(showCommand())
    .addCommand(announceCommand())
    .addCommand(withdrawCommand());
}
