// Process entry point for the bundle and the single executable.

// grpc-js (under etcd3) sets the TLS server name to the endpoint's IP address, which Node flags
// as deprecated (DEP0123) on every TLS connection to an etcd addressed by IP. Nothing for the
// operator to act on, so that one warning is not printed; every other warning is.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
  if (code === "DEP0123") return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// A runtime (or the CNI client with no agent answering) runs `podnet cni` once per pod: that path
// loads the plugin alone, not the whole command line (store, metrics, logging), to start sooner.
const args = process.argv.slice(2);
const run: Promise<number> =
  args.length === 1 && args[0] === "cni"
    ? import("../cni/in-process").then(({ runCniInProcess }) => runCniInProcess())
    : import("./main").then(({ main }) => main(args));
run.then((code) => {
  process.exitCode = code;
});
