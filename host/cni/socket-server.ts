// The agent's CNI socket. The native client (/opt/cni/bin/podnet, host/native/cni-client.c) only
// moves bytes; this is the other end. One request per connection:
//   client → agent:  "PODNET-CNI/1\n", then each CNI_* variable as "NAME=VALUE\0", then "\0",
//                    then the config exactly as the runtime wrote it on stdin, then EOF.
//   agent → client:  "<exit code>\n", then what the plugin prints on stdout; then the agent closes.

import { createServer, type Server } from "node:net";
import { describePeer, isAllowedPeer, listenRootOnly, socketPeer } from "../shared/socket-peer";
import { CniErrorCode } from "./errors";
import { type PluginContext, type PluginOutput, runPlugin } from "./plugin";
import { LATEST_VERSION } from "./versions";

export const PROTOCOL_LINE = "PODNET-CNI/1\n";
/** A request larger than this (environment and config; CNI configs are kilobytes) is refused unread. */
export const MAX_REQUEST_BYTES = 1 << 20;
/** A client that has not finished its request by then is disconnected: it holds a socket and nothing else. */
export const REQUEST_TIMEOUT_MILLISECONDS = 30_000;

/** Splits a request into the environment and stdin; undefined when it is not one. */
function parseRequest(bytes: Buffer): { env: Record<string, string>; stdin: string } | undefined {
  if (!bytes.subarray(0, PROTOCOL_LINE.length).equals(Buffer.from(PROTOCOL_LINE))) return undefined;
  const env: Record<string, string> = {};
  let position = PROTOCOL_LINE.length;
  for (;;) {
    const end = bytes.indexOf(0, position);
    if (end < 0) return undefined;
    if (end === position) break;
    const entry = bytes.subarray(position, end).toString("utf8");
    const equals = entry.indexOf("=");
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
    position = end + 1;
  }
  return { env, stdin: bytes.subarray(position + 1).toString("utf8") };
}

function reply(output: PluginOutput): string {
  return `${output.exitCode}\n${output.stdout}`;
}

/** The CNI error for a request that never reached the plugin. */
const refusal = (msg: string, code: number = CniErrorCode.DecodingFailure): PluginOutput => ({ exitCode: 1, stdout: JSON.stringify({ cniVersion: LATEST_VERSION, code, msg }) });

interface CniServerOptions {
  requestBytes: number;
  timeoutMilliseconds: number;
  /** A reply that could not be delivered: the client (the runtime's plugin process) went away first. */
  onReplyLost?: (request: { command: string; containerId: string }) => void;
  /** A connection refused because its peer is not root. */
  onRefused?: (peer: { pid: number; uid: number }) => void;
}

/**
 * Serves the plugin on a root-only unix socket at `path`: its directory is made 0700, the socket
 * 0600, and each connection's peer is checked with SO_PEERCRED besides, so loosened permissions
 * (a hostPath mounted with other modes) still let no one else in. Each connection is served on its
 * own: one that sends nothing is dropped after REQUEST_TIMEOUT_MILLISECONDS, one that sends too
 * much is refused at MAX_REQUEST_BYTES; neither holds up the others.
 */
export async function serveCni(path: string, context: PluginContext, options: CniServerOptions = { requestBytes: MAX_REQUEST_BYTES, timeoutMilliseconds: REQUEST_TIMEOUT_MILLISECONDS }): Promise<Server> {
  // allowHalfOpen: the client ends its side after the request and still waits for the reply.
  const server = createServer({ allowHalfOpen: true }, (connection) => {
    const peer = socketPeer(connection);
    if (!isAllowedPeer(peer)) {
      options.onRefused?.({ pid: peer?.pid ?? 0, uid: peer?.uid ?? -1 });
      connection.end(reply(refusal(`the podnet agent's CNI socket is for root only: refused ${describePeer(peer)}`, CniErrorCode.PermissionDenied)));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    connection.setTimeout(options.timeoutMilliseconds, () => connection.destroy());
    connection.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.requestBytes) {
        connection.removeAllListeners("data");
        connection.removeAllListeners("end");
        connection.end(reply(refusal(`request larger than ${options.requestBytes} bytes: refused`)));
        return;
      }
      chunks.push(chunk);
    });
    connection.on("error", () => connection.destroy());
    connection.on("end", () => {
      connection.setTimeout(0);
      const request = parseRequest(Buffer.concat(chunks));
      const answer: Promise<PluginOutput> = request
        ? runPlugin(request, context)
        : Promise.resolve(refusal(`not a ${PROTOCOL_LINE.trim()} request`));
      void answer.then((output) => {
        // A client killed meanwhile (the runtime gave up): the work is done and nobody learns of
        // it; the runtime's DEL or GC of that attachment undoes it.
        connection.write(reply(output), (error) => {
          if (error && request) options.onReplyLost?.({ command: request.env.CNI_COMMAND ?? "", containerId: request.env.CNI_CONTAINERID ?? "" });
        });
        connection.end();
      });
    });
  });
  await listenRootOnly(server, path);
  return server;
}
