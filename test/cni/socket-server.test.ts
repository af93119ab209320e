// The agent's CNI socket against clients that misbehave: one that connects and sends nothing, one
// that sends 10 MB; neither holds up a well-formed request, each gets a clear answer or is dropped.
// And one that is not root, let in by loosened file modes: refused by its SO_PEERCRED.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect, type Socket } from "node:net";
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROTOCOL_LINE, serveCni } from "../../host/cni/socket-server";
import { FakeKernel } from "../helpers/fake-kernel";
import { requestAsNobody } from "../helpers/as-nobody";

const directory = mkdtempSync(join(tmpdir(), "podnet-cni-socket-"));
const path = join(directory, "run", "cni.sock");
const request = (command: string) => Buffer.concat([Buffer.from(PROTOCOL_LINE), Buffer.from(`CNI_COMMAND=${command}\0\0`), Buffer.from('{"cniVersion":"1.1.0","name":"n","type":"podnet"}')]);

/** Sends `bytes` (then EOF unless `keepOpen`), resolves with the whole answer and whether the agent closed. */
function exchange(bytes: Buffer, keepOpen = false): { socket: Socket; answer: Promise<string> } {
  const socket = connect(path);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const answer = new Promise<string>((resolve) => socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8"))));
  socket.on("error", () => undefined);
  socket.write(bytes);
  if (!keepOpen) socket.end();
  return { socket, answer };
}

test("a silent client and a 10 MB client do not hold up a VERSION request; each is answered or dropped", async () => {
  const server = await serveCni(path, { kernel: new FakeKernel(), servedByAgent: true }, { requestBytes: 1 << 20, timeoutMilliseconds: 500 });
  try {
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.is(statSync(join(directory, "run")).mode & 0o777, 0o700);
    const silent = exchange(Buffer.alloc(0), true);
    const flood = exchange(Buffer.alloc(10 << 20, 0x41));
    const started = Date.now();
    const version = await exchange(request("VERSION")).answer;
    assert.ok(Date.now() - started < 400, "answered while the others are still connected");
    assert.match(version, /^0\n\{"cniVersion":"1\.1\.0","supportedVersions":/);
    assert.is(await flood.answer, '1\n{"cniVersion":"1.1.0","code":6,"msg":"request larger than 1048576 bytes: refused"}');
    const waited = Date.now();
    assert.is(await silent.answer, "");
    assert.ok(Date.now() - waited < 1000, "the silent client is dropped after the timeout");
    assert.is(await exchange(Buffer.from("GET / HTTP/1.1\r\n\r\n")).answer, '1\n{"cniVersion":"1.1.0","code":6,"msg":"not a PODNET-CNI/1 request"}');
  } finally {
    server.close();
  }
});

test("a caller that is not root is refused by SO_PEERCRED even when the file modes would let it in; root is served", async () => {
  const refused: Array<{ pid: number; uid: number }> = [];
  const server = await serveCni(path, { kernel: new FakeKernel(), servedByAgent: true }, { requestBytes: 1 << 20, timeoutMilliseconds: 5000, onRefused: (peer) => refused.push(peer) });
  try {
    // What a hostPath mounted with the wrong modes would do.
    chmodSync(directory, 0o755);
    chmodSync(join(directory, "run"), 0o755);
    chmodSync(path, 0o666);
    const nobody = await requestAsNobody(path, request("VERSION"));
    assert.is(nobody.code, 0, nobody.errors);
    assert.is(nobody.output, `1\n{"cniVersion":"1.1.0","code":102,"msg":"the podnet agent's CNI socket is for root only: refused uid 65534 (pid ${nobody.pid})"}`);
    assert.equal(refused, [{ pid: nobody.pid, uid: 65534 }]);
    assert.match(await exchange(request("VERSION")).answer, /^0\n\{"cniVersion":"1\.1\.0","supportedVersions":/);
  } finally {
    server.close();
  }
});

test.run();
