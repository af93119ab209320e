// Structured logs: JSON lines with --log-format json, readable text (pino-pretty, in-process,
// no worker thread) by default.

import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "text" | "json";

/**
 * Secrets a logged object may carry (a BGP peer's TCP MD5 password, TLS key material): pino
 * replaces them wherever a log call passes such an object, so no future log line can leak them.
 */
const REDACTED_PATHS = ["password", "*.password", "*.*.password", "privateKey", "*.privateKey"];
const redact = { paths: REDACTED_PATHS, censor: "[redacted]" };

/** A logger writing to `destination` (stderr by default). */
export function createLogger(format: LogFormat, level = "info", destination: NodeJS.WritableStream = process.stderr, component = "podnet-agent"): Logger {
  if (format === "json") return pino({ level, redact, base: { component } }, destination);
  return pino({ level, redact }, pretty({ destination, colorize: false, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
}
