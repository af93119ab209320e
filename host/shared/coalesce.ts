// Coalesced calls of an idempotent async job (a full re-read): at most one run in flight and one
// queued. A caller during a run waits for the queued run, which starts after the current one ends,
// so it sees everything that happened before it asked; a thousand callers cost at most two runs.

/** `run` wrapped so that concurrent callers share runs: one in flight, one queued. */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const start = (): Promise<void> => {
    running = run().finally(() => (running = undefined));
    return running;
  };
  return () => {
    if (running === undefined) return start();
    queued ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}
