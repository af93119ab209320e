// A connection storm from an address that is no peer. In Calico mode each such connection asks the
// agent to re-read Nodes and BGPPeers (a peer may just have joined); before, every connection did
// its own re-read and held its socket meanwhile (400 connections: 400 store reads, 760 more fds).
// Now the re-reads are coalesced (one in flight, one queued) and only MAX_HELD_CONNECTIONS wait.
// In process, on 127.0.0.1 with an ephemeral port.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import pino from "pino";
import { coalesce } from "../../host/shared/coalesce";
import { Speaker } from "../../host/bgp/speaker";

const openFds = () => readdirSync("/proc/self/fd").length;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

test("coalesce: one run in flight, one queued; callers during a run wait for a run that starts after they asked", async () => {
  let runs = 0;
  const finish: Array<() => void> = [];
  const reload = coalesce(() => {
    runs++;
    return new Promise<void>((resolve) => finish.push(resolve));
  });
  const first = reload();
  const during = [reload(), reload(), reload()];
  assert.equal(runs, 1);
  assert.ok(during[0] === during[1] && during[1] === during[2], "callers during a run share the queued run");
  finish.shift()!();
  await first;
  await sleep(0);
  assert.equal(runs, 2, "the queued run starts when the first ends");
  finish.shift()!();
  await Promise.all(during);
  const failing = coalesce(() => Promise.reject(new Error("store down")));
  await failing().then(
    () => assert.unreachable("a failed run rejects its callers"),
    (error: Error) => assert.equal(error.message, "store down"),
  );
});

test("1,000 connections from a non-peer: at most 2 re-reads of the peers, every connection closed, the fds back to the baseline within 1 s", async () => {
  const speaker = new Speaker({ localAs: 64512, routerId: "198.18.0.1", listen: { address: "127.0.0.1", port: 0 } }, pino({ level: "silent" }));
  let reads = 0;
  // A store read that takes 100 ms and never adds the caller.
  speaker.reloadPeers = async () => {
    reads++;
    await sleep(100);
  };
  const port = (await speaker.start())!;
  await sleep(50);
  const baseline = openFds();
  try {
    const closed: Array<Promise<void>> = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < 1000; i++) {
      const socket = connect({ host: "127.0.0.1", port });
      socket.on("error", () => undefined);
      closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      sockets.push(socket);
    }
    const started = Date.now();
    await Promise.all(closed);
    assert.ok(reads >= 1 && reads <= 2, `${reads} re-reads of the peers`);
    for (const socket of sockets) socket.destroy();
    while (openFds() > baseline && Date.now() - started < 1000) await sleep(20);
    assert.equal(openFds(), baseline, "fds back to the baseline");
    assert.ok(Date.now() - started < 1000 + 500, `closed within ${Date.now() - started} ms`);
  } finally {
    await speaker.stop();
  }
});

test.run();
