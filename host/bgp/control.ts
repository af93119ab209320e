// The speaker's control socket, like BIRD's bird.ctl: a unix socket (mode 0600) taking one JSON
// request per connection and answering with one JSON line. `podnet bgp show` is its client.

import { chmodSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { parseCommunity } from "./route";
import type { Speaker } from "./speaker";
import { peerStatuses, routeStatuses } from "./status";

export type ControlRequest =
  | { command: "peers" }
  | { command: "routes"; prefix?: string }
  | { command: "announce"; prefix: string; nextHop?: string; communities?: string[] }
  | { command: "withdraw"; prefix: string };

export type ControlReply = { ok: true; result: unknown } | { ok: false; error: string };

function answer(speaker: Speaker, request: ControlRequest, kindOf?: (address: string) => string | undefined): unknown {
  switch (request.command) {
    case "peers":
      return peerStatuses(speaker, kindOf);
    case "routes":
      return routeStatuses(speaker, request.prefix);
    case "announce": {
      const communities = (request.communities ?? []).map((text) => {
        const value = parseCommunity(text);
        if (value === null) throw new Error(`bad community ${text}: expected A:B with both parts 0–65535`);
        return value;
      });
      speaker.announce({ prefix: request.prefix, nextHop: request.nextHop, communities });
      return { announced: request.prefix };
    }
    case "withdraw":
      speaker.withdraw(request.prefix);
      return { withdrawn: request.prefix };
    default:
      throw new Error(`unknown command ${(request as { command: unknown }).command}`);
  }
}

/** Serves the control socket at `path` (replacing a stale socket file); `kindOf` labels peers in Calico mode. */
export async function serveControl(speaker: Speaker, path: string, kindOf?: (address: string) => string | undefined): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      let reply: ControlReply;
      try {
        reply = { ok: true, result: answer(speaker, JSON.parse(text.slice(0, newline)) as ControlRequest, kindOf) };
      } catch (error) {
        reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      socket.end(JSON.stringify(reply) + "\n");
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
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
