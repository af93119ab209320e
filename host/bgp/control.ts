// The speaker's control socket, like BIRD's bird.ctl: a unix socket taking one JSON request per
// connection and answering with one JSON line. `podnet bgp show` is its client. Guarded as the CNI
// socket is: its directory is made 0700 before it listens (so the socket is never reachable with
// looser modes), each caller's credentials are checked (root or our own user), a request is at
// most MAX_CONTROL_REQUEST_BYTES, and a caller that sends no whole line in time is dropped.
// Announcements are checked exactly as `--announce` is at start.

import { createConnection, createServer, type Server } from "node:net";
import { describePeer, isAllowedPeer, listenRootOnly, socketPeer } from "../shared/socket-peer";
import { parseIpv4, parseSpecPrefix } from "./peer-spec";
import { parseCommunity } from "./route";
import type { Speaker } from "./speaker";
import { peerStatuses, routeStatuses } from "./status";

type ControlRequest =
  | { command: "peers" }
  | { command: "routes"; prefix?: string }
  | { command: "announce"; prefix: string; nextHop?: string; communities?: string[] }
  | { command: "withdraw"; prefix: string };

type ControlReply = { ok: true; result: unknown } | { ok: false; error: string };

/** A request line longer than this is refused: requests are a few hundred bytes. */
const MAX_CONTROL_REQUEST_BYTES = 64 * 1024;
/** A caller that has not sent a whole request by then is disconnected. */
const CONTROL_REQUEST_TIMEOUT_MILLISECONDS = 10_000;

function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: expected a string`);
  return value;
}

function answer(speaker: Speaker, request: ControlRequest, kindOf?: (address: string) => string | undefined): unknown {
  switch (request.command) {
    case "peers":
      return peerStatuses(speaker, kindOf);
    case "routes":
      return routeStatuses(speaker, request.prefix === undefined ? undefined : text(request.prefix, "prefix"));
    case "announce": {
      const prefix = parseSpecPrefix(text(request.prefix, "announce prefix"), "announce");
      const nextHop = request.nextHop === undefined ? undefined : parseIpv4(text(request.nextHop, "next hop"), `announce ${prefix} next hop`);
      if (request.communities !== undefined && !Array.isArray(request.communities)) throw new Error("communities: expected a list");
      const communities = (request.communities ?? []).map((community) => {
        const value = parseCommunity(text(community, "community"));
        if (value === null) throw new Error(`bad community ${community}: expected A:B with both parts 0–65535`);
        return value;
      });
      speaker.announce({ prefix, nextHop, communities });
      return { announced: prefix };
    }
    case "withdraw": {
      const prefix = parseSpecPrefix(text(request.prefix, "withdraw prefix"), "withdraw");
      speaker.withdraw(prefix);
      return { withdrawn: prefix };
    }
    default:
      throw new Error(`unknown command ${String((request as { command: unknown }).command)}`);
  }
}

interface ControlOptions {
  /** Calico mode: how each peer came to be one, for `podnet status`. */
  kindOf?: (address: string) => string | undefined;
  requestBytes?: number;
  timeoutMilliseconds?: number;
}

/** Serves the control socket at `path` (replacing a stale socket file). */
export async function serveControl(speaker: Speaker, path: string, options: ControlOptions = {}): Promise<Server> {
  const { kindOf, requestBytes = MAX_CONTROL_REQUEST_BYTES, timeoutMilliseconds = CONTROL_REQUEST_TIMEOUT_MILLISECONDS } = options;
  const server = createServer((socket) => {
    const reply = (value: ControlReply) => socket.end(JSON.stringify(value) + "\n");
    const peer = socketPeer(socket);
    if (!isAllowedPeer(peer)) {
      reply({ ok: false, error: `the BGP control socket is for root only: refused ${describePeer(peer)}` });
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    socket.setTimeout(timeoutMilliseconds, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      // Only the new chunk is searched: a long line without a newline costs its length once.
      const newline = chunk.indexOf(0x0a);
      received += newline < 0 ? chunk.length : newline;
      if (received > requestBytes) {
        socket.removeAllListeners("data");
        reply({ ok: false, error: `request longer than ${requestBytes} bytes: refused` });
        return;
      }
      if (newline < 0) {
        chunks.push(chunk);
        return;
      }
      chunks.push(chunk.subarray(0, newline));
      socket.removeAllListeners("data");
      socket.setTimeout(0);
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ControlRequest;
        reply({ ok: true, result: answer(speaker, request, kindOf) });
      } catch (error) {
        reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    });
    socket.on("error", () => socket.destroy());
  });
  await listenRootOnly(server, path);
  return server;
}

/** Sends one request to the control socket at `path` and returns the result (throws the error). */
export async function controlRequest(path: string, request: ControlRequest): Promise<unknown> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = createConnection(path);
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify(request) + "\n"));
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("end", () => resolve(reply));
    socket.on("error", (error) => reject(new Error(`control socket ${path}: ${error.message}`)));
  });
  const reply = JSON.parse(text) as ControlReply;
  if (!reply.ok) throw new Error(reply.error);
  return reply.result;
}
