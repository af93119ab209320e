// The BGP control socket (bgp.ctl): announcements checked as `--announce` checks them, a request
// size cap, a timeout for silent callers, modes set before anyone can connect, and SO_PEERCRED.
// In process: a speaker with no listener and no peers; a unix socket in a temporary directory.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { once } from "node:events";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { controlRequest, serveControl } from "../../host/bgp/control";
import { Speaker } from "../../host/bgp/speaker";
import { requestAsNobody } from "../helpers/as-nobody";

const directory = mkdtempSync(join(tmpdir(), "podnet-control-"));
const path = join(directory, "run", "bgp.ctl");
test.after(() => rmSync(directory, { recursive: true, force: true }));

const newSpeaker = () => new Speaker({ localAs: 64512, routerId: "198.18.0.1" }, pino({ level: "silent" }));

/** Sends raw bytes and returns what came back before the server closed. */
async function raw(bytes: Buffer | string, end = true): Promise<string> {
  const socket = connect(path);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk) => chunks.push(chunk));
  socket.on("error", () => undefined);
  const closed = once(socket, "close");
  if (end) socket.end(bytes);
  else socket.write(bytes);
  await closed;
  return Buffer.concat(chunks).toString("utf8");
}

test("announce checks its prefix, next hop and communities as --announce does; nothing bad reaches the speaker", async () => {
  const speaker = newSpeaker();
  const server = await serveControl(speaker, path);
  try {
    const refusal = async (request: object) => controlRequest(path, request as never).then(() => "accepted", (error: Error) => error.message);
    assert.is(await refusal({ command: "announce", prefix: "10.244.1.0/26", nextHop: "1.2.3" }), "announce 10.244.1.0/26 next hop: '1.2.3' is not an IPv4 address");
    assert.is(await refusal({ command: "announce", prefix: "10.244.1.1/26" }), "announce: '10.244.1.1/26' has host bits set (did you mean 10.244.1.0/26?)");
    assert.is(await refusal({ command: "announce", prefix: "10.244.1.0" }), "announce: '10.244.1.0' is not a prefix (address/length)");
    assert.is(await refusal({ command: "announce", prefix: "10.244.1.0/26", communities: ["65536:1"] }), "bad community 65536:1: expected A:B with both parts 0–65535");
    assert.is(await refusal({ command: "announce", prefix: 7 }), "announce prefix: expected a string");
    assert.is(await refusal({ command: "withdraw", prefix: "x" }), "withdraw: 'x' is not a prefix (address/length)");
    assert.is(await refusal({ command: "reboot" }), "unknown command reboot");
    assert.equal(speaker.announced(), []);
    assert.equal(await controlRequest(path, { command: "announce", prefix: "10.244.1.0/26", nextHop: "198.18.0.1", communities: ["64512:7"] }), { announced: "10.244.1.0/26" });
    assert.equal(speaker.announced(), ["10.244.1.0/26"]);
  } finally {
    server.close();
  }
});

test("the directory is 0700 and the socket 0600; a request past the cap is refused once it passes the cap; a silent caller is dropped", async () => {
  const server = await serveControl(newSpeaker(), path, { requestBytes: 64 * 1024, timeoutMilliseconds: 300 });
  try {
    assert.is(statSync(join(directory, "run")).mode & 0o777, 0o700);
    assert.is(statSync(path).mode & 0o777, 0o600);
    // 32 MiB without a newline, in 1 MiB writes: the reply comes after the first 64 KiB, and the
    // server reads no further (the rest is never taken into memory).
    const socket = connect(path);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => undefined);
    const closed = once(socket, "close");
    const megabyte = Buffer.alloc(1 << 20, 0x61);
    let written = 0;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 32 && !socket.destroyed && chunks.length === 0; i++) {
      written += megabyte.length;
      if (!socket.write(megabyte)) await Promise.race([once(socket, "drain"), closed]);
    }
    await closed;
    assert.is(Buffer.concat(chunks).toString(), '{"ok":false,"error":"request longer than 65536 bytes: refused"}\n');
    assert.ok(written < 32 << 20, `the server stopped reading after ${written} bytes`);
    assert.ok(process.memoryUsage().rss - rss < 64 << 20, "memory stays bounded");
    // Silent: nothing sent, the server drops the caller after the timeout with no reply.
    assert.is(await raw("{", false), "");
    assert.is(await raw("not json\n"), `{"ok":false,"error":"Unexpected token 'o', \\"not json\\" is not valid JSON"}\n`);
  } finally {
    server.close();
  }
});

test("a caller that is not root is refused by SO_PEERCRED even when the file modes would let it in; root is served", async () => {
  const server = await serveControl(newSpeaker(), path);
  try {
    chmodSync(directory, 0o755);
    chmodSync(join(directory, "run"), 0o755);
    chmodSync(path, 0o666);
    const nobody = await requestAsNobody(path, '{"command":"peers"}\n');
    assert.is(nobody.code, 0, nobody.errors);
    assert.is(nobody.output, `{"ok":false,"error":"the BGP control socket is for root only: refused uid 65534 (pid ${nobody.pid})"}\n`);
    assert.equal(await controlRequest(path, { command: "peers" }), []);
  } finally {
    server.close();
  }
});

test.run();
