// Process entry point for the bundle and the single executable.
import { main } from "./main.js";

// grpc-js (under etcd3) sets the TLS server name to the endpoint's IP address, which Node flags
// as deprecated (DEP0123) on every TLS connection to an etcd addressed by IP. Nothing for the
// operator to act on, so that one warning is not printed; every other warning is.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
  if (code === "DEP0123") return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
