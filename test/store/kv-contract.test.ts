// The key-value contract, run against both stores: the embedded SQLite store and a real etcd.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactedError, type KvEvent, type KvStore } from "../../host/store/kv";
import Database from "better-sqlite3";
import { RETAINED_CHANGES, SqliteKv } from "../../host/store/sqlite-kv";
import { EtcdKv } from "../../host/store/etcd-kv";
import { startEtcd, type EtcdServer } from "../helpers/etcd-server";

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

interface Backend {
  name: string;
  open(): Promise<KvStore & { compact(revision: number): Promise<void> }>;
  close(): Promise<void>;
}

let etcd: EtcdServer | undefined;
const backends: Backend[] = [
  {
    name: "sqlite",
    open: async () => new SqliteKv(join(mkdtempSync(join(tmpdir(), "podnet-kv-")), "store.db")),
    close: async () => undefined,
  },
  {
    name: "etcd",
    open: async () => {
      etcd ??= await startEtcd();
      return new EtcdKv({ endpoints: [etcd.endpoint] });
    },
    close: async () => etcd?.stop(),
  },
];

/** Collects watch events until `count` arrived (or fails after a while). */
function collect(store: KvStore, prefix: string, from: number) {
  const events: KvEvent[] = [];
  const errors: Error[] = [];
  const watch = store.watch(prefix, from, (event) => events.push(event), (error) => errors.push(error));
  const until = async (count: number) => {
    for (let i = 0; i < 200 && events.length < count && errors.length === 0; i++) await sleep(20);
    return events;
  };
  return { events, errors, watch, until };
}

for (const backend of backends) {
  const test = suite(`kv contract: ${backend.name}`);
  let store: Awaited<ReturnType<Backend["open"]>>;
  test.before(async () => {
    store = await backend.open();
  });
  test.after(async () => {
    await store?.close();
    await backend.close();
  });

  test("create makes a key once; a second create of it fails", async () => {
    assert.is(await store.create("/t/a", "one", 0), true);
    assert.is(await store.create("/t/a", "two", 0), false);
    const kv = await store.get("/t/a");
    assert.is(kv?.value, "one");
    assert.is(kv?.createRevision, kv?.modRevision);
  });

  test("update is a compare-and-swap on the modification revision", async () => {
    const before = (await store.get("/t/a"))!;
    assert.is(await store.update("/t/a", "three", before.modRevision + 100, 0), false);
    assert.is(await store.update("/t/a", "three", before.modRevision, 0), true);
    const after = (await store.get("/t/a"))!;
    assert.is(after.value, "three");
    assert.ok(after.modRevision > before.modRevision);
    assert.is(after.createRevision, before.createRevision);
    assert.is(await store.update("/t/a", "four", before.modRevision, 0), false);
  });

  test("range lists a prefix in key order at a revision that rises with every change", async () => {
    await store.create("/t/c", "c", 0);
    await store.create("/t/b", "b", 0);
    await store.create("/u/x", "x", 0);
    const first = await store.range("/t/");
    assert.equal(first.items.map((kv) => kv.key), ["/t/a", "/t/b", "/t/c"]);
    await store.delete("/t/b");
    const second = await store.range("/t/");
    assert.equal(second.items.map((kv) => kv.key), ["/t/a", "/t/c"]);
    assert.ok(second.revision > first.revision);
  });

  test("delete reports whether the key was there", async () => {
    assert.is(await store.delete("/t/c"), true);
    assert.is(await store.delete("/t/c"), false);
    assert.is(await store.get("/t/c"), undefined);
  });

  test("delete with an expected revision deletes only that version of the key", async () => {
    await store.create("/t/d", "1", 0);
    const first = (await store.get("/t/d"))!;
    assert.ok(await store.update("/t/d", "2", first.modRevision, 0));
    assert.is(await store.delete("/t/d", first.modRevision), false);
    assert.is((await store.get("/t/d"))?.value, "2");
    assert.is(await store.delete("/t/d", (await store.get("/t/d"))!.modRevision), true);
    assert.is(await store.get("/t/d"), undefined);
  });

  test("a watch delivers every change after its revision, in order, and only under its prefix", async () => {
    const { revision } = await store.range("/w/");
    const { until, watch, errors } = collect(store, "/w/", revision);
    await store.create("/w/1", "a", 0);
    await store.create("/elsewhere", "z", 0);
    const kv = (await store.get("/w/1"))!;
    await store.update("/w/1", "b", kv.modRevision, 0);
    await store.delete("/w/1");
    const events = await until(3);
    await watch.stop();
    assert.equal(errors, []);
    assert.equal(events.map((event) => [event.type, event.key, event.value]), [["put", "/w/1", "a"], ["put", "/w/1", "b"], ["delete", "/w/1", undefined]]);
    assert.ok(events[0].revision < events[1].revision && events[1].revision < events[2].revision);
  });

  test("a watch from an older revision replays what happened since", async () => {
    const { revision } = await store.range("/r/");
    await store.create("/r/1", "x", 0);
    await store.create("/r/2", "y", 0);
    const { until, watch } = collect(store, "/r/", revision);
    const events = await until(2);
    await watch.stop();
    assert.equal(events.map((event) => event.key), ["/r/1", "/r/2"]);
  });

  test("keys with a TTL expire and the watch sees the delete; a refresh keeps a key alive", async () => {
    const { revision } = await store.range("/ttl/");
    const { until, watch } = collect(store, "/ttl/", revision);
    await store.create("/ttl/short", "gone soon", 2);
    await store.create("/ttl/kept", "refreshed", 2);
    const expiry = (await store.expiresAt("/ttl/short"))! - Date.now();
    assert.ok(expiry > 0 && expiry <= 2500, `expires in ${expiry} ms`);
    assert.is(await store.expiresAt("/t/a"), undefined);
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      assert.is(await store.refresh("/ttl/kept", 2), true);
      if ("expire" in store) await (store as SqliteKv).expire();
    }
    assert.is(await store.get("/ttl/short"), undefined);
    assert.is((await store.get("/ttl/kept"))?.value, "refreshed");
    const events = await until(3);
    await watch.stop();
    assert.ok(events.some((event) => event.type === "delete" && event.key === "/ttl/short"), JSON.stringify(events));
    assert.is(await store.refresh("/ttl/short", 2), false);
  });

  test("two keys expired together, then a write: every write still succeeds and the watch sees both deletes and the put", async () => {
    const { revision } = await store.range("/ttl2/");
    const { events, until, watch } = collect(store, "/ttl2/", revision);
    try {
      await store.create("/ttl2/a", "1", 1);
      await store.create("/ttl2/b", "2", 1);
      await sleep(2200);
      // etcd raises a lease's TTL to its minimum (1.5 election timeouts) and checks expiry
      // every 500 ms: wait for its deletes. The embedded store sweeps them on the next write.
      if (backend.name === "etcd") {
        for (let i = 0; i < 100 && events.filter((event) => event.type === "delete").length < 2; i++) await sleep(50);
      }
      // The write that finds both expired must not fail.
      assert.is(await store.create("/ttl2/c", "3", 0), true);
      assert.is(await store.create("/ttl2/d", "4", 0), true);
      assert.equal((await store.range("/ttl2/")).items.map((item) => item.key), ["/ttl2/c", "/ttl2/d"]);
      await until(6);
    } finally {
      await watch.stop();
    }
    const seen = events.map((event) => `${event.type} ${event.key}`);
    for (const expected of ["delete /ttl2/a", "delete /ttl2/b", "put /ttl2/c", "put /ttl2/d"]) assert.ok(seen.includes(expected), `${expected} in ${JSON.stringify(seen)}`);
    const revisions = events.map((event) => event.revision);
    assert.equal(revisions, [...revisions].sort((x, y) => x - y), "revisions in order");
  });

  test("stopping a watch that etcd already ended (compacted history) is quiet", async () => {
    // The etcd3 client threw "Failed to find watcher for IWatchResponse" out of its stream
    // handler (uncaught: the process died) when a watch it had been told was cancelled was
    // cancelled again while another watch kept the client's stream open.
    const other = collect(store, "/other/", (await store.range("/other/")).revision);
    const { revision } = await store.range("/cc/");
    await store.create("/cc/1", "a", 0);
    await store.create("/cc/2", "b", 0);
    const { revision: latest } = await store.range("/cc/");
    await store.compact(latest);
    const { watch, errors } = collect(store, "/cc/", revision);
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20);
    await watch.stop();
    await store.create("/cc/3", "c", 0);
    const after = collect(store, "/cc/", latest);
    const events = await after.until(1);
    await after.watch.stop();
    await other.watch.stop();
    assert.instance(errors[0], CompactedError);
    assert.equal(events.map((event) => event.key), ["/cc/3"]);
  });

  test("the embedded store keeps only the last RETAINED_CHANGES changes; a live watch on a quiet prefix loses nothing", async () => {
    if (backend.name !== "sqlite") return; // etcd compacts when told to (the contract test above)
    const { revision: start } = await store.range("/quiet/");
    const quiet = collect(store, "/quiet/", start);
    for (let i = 0; i < RETAINED_CHANGES + 1500; i++) {
      await store.create(`/busy/${i}`, "x", 0);
      // Writers elsewhere take turns with the watch's polls (here, one process: let timers run).
      if (i % 100 === 0) await sleep(10);
    }
    await store.create("/quiet/one", "1", 0);
    const events = await quiet.until(1);
    await quiet.watch.stop();
    assert.equal(events.map((event) => `${event.type} ${event.key}`), ["put /quiet/one"]);
    assert.equal(quiet.errors, []);
    const file = new Database((store as unknown as SqliteKv).path, { readonly: true });
    const kept = file.prepare("SELECT count(*) AS n, min(revision) AS first, max(revision) AS last FROM changes").get() as { n: number; first: number; last: number };
    file.close();
    assert.equal(kept, { n: RETAINED_CHANGES, first: kept.last - RETAINED_CHANGES + 1, last: kept.last });
    // A watch from before what is kept lists again.
    const old = collect(store, "/busy/", start);
    for (let i = 0; i < 100 && old.errors.length === 0; i++) await sleep(20);
    await old.watch.stop();
    assert.instance(old.errors[0], CompactedError);
  });

  test("a watch from a compacted revision ends with CompactedError", async () => {
    const { revision } = await store.range("/c/");
    await store.create("/c/1", "a", 0);
    await store.create("/c/2", "b", 0);
    const { revision: latest } = await store.range("/c/");
    await store.compact(latest);
    const { watch, errors } = collect(store, "/c/", revision);
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20);
    await watch.stop();
    assert.is(errors.length, 1);
    assert.instance(errors[0], CompactedError, errors[0].message);
  });

  test.run();
}
