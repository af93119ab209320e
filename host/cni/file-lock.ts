// An exclusive lock on a file, shared with other processes through flock(2) (the addon's tryLock):
// host-local locks <dataDir>/<network>/lock the same way, so podnet and host-local never race.
// Waiters in this process queue on a promise first, so the agent does not spin on its own lock.

import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { addon } from "../native/addon";
import { CniError, CniErrorCode } from "./errors";

const queues = new Map<string, Promise<unknown>>();

/** How long to wait for another process's lock before telling the runtime to try again. */
const LOCK_WAIT_MS = 30_000;

async function acquire(path: string): Promise<number> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const fd = openSync(path, "a", 0o644);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let pause = 1;
  while (!addon().tryLock(fd)) {
    if (Date.now() > deadline) {
      closeSync(fd);
      throw new CniError(CniErrorCode.TryAgainLater, `${path} stayed locked by another process for ${LOCK_WAIT_MS / 1000} s`);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 20);
  }
  return fd;
}

/** Runs `work` holding the lock on `path`; the lock goes with the fd, even when work throws. */
export async function withFileLock<T>(path: string, work: () => T | Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    const fd = await acquire(path);
    try {
      return await work();
    } finally {
      closeSync(fd);
    }
  });
  queues.set(path, run);
  try {
    return await run;
  } finally {
    if (queues.get(path) === run) queues.delete(path);
  }
}
