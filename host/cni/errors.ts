// CNI errors: the spec's well-known codes (1–99 are reserved for these) and the error object a
// plugin prints on stdout before exiting 1.

/** The spec's well-known error codes (CNI 1.1.0, "Error codes"). */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  /** podnet's own (100+ is the plugins' range): the kernel refused a change, details carry why. */
  KernelRefused: 100,
  /** CHECK found the container's networking not as the ADD result says. */
  CheckFailed: 101,
  /** The agent's socket refused the caller: only root (SO_PEERCRED) may configure pod networks. */
  PermissionDenied: 102,
} as const;

/** A failure the plugin reports to the runtime as the spec's error JSON. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

/** Any thrown value as a CniError; an unexpected one keeps its message under KernelRefused. */
export function asCniError(error: unknown): CniError {
  if (error instanceof CniError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CniError(CniErrorCode.KernelRefused, "podnet could not change the network", message);
}

/** The error object of the spec, in the request's version. */
export function errorJson(error: CniError, cniVersion: string): Record<string, unknown> {
  return { cniVersion, code: error.code, msg: error.message, ...(error.details ? { details: error.details } : {}) };
}
