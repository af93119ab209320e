// Structured logs: JSON lines with --log-format json, readable text (pino-pretty, in-process,
// no worker thread) by default.

import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "text" | "json";

/** A logger writing to `destination` (stderr by default). */
export function createLogger(format: LogFormat, level = "info", destination: NodeJS.WritableStream = process.stderr, component = "podnet-agent"): Logger {
  if (format === "json") return pino({ level, base: { component } }, destination);
  return pino({ level }, pretty({ destination, colorize: false, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
}
