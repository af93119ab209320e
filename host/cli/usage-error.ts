// Errors in how podnet was called (exit 2), as opposed to failures while doing the work (exit 1).

/** A bad argument or flag value the parser could not catch by itself. */
export class UsageError extends Error {
  readonly code = "USAGE";
}
