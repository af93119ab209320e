// A unix-socket client run as nobody (uid 65534, via setpriv), for the tests that check the agent's
// sockets refuse a caller who is not root even when the file modes would let it in.
import { spawn } from "node:child_process";
import { once } from "node:events";

const CLIENT = `
const socket = require("node:net").connect(process.argv[1]);
const chunks = [];
socket.on("data", (chunk) => chunks.push(chunk));
socket.on("close", () => process.stdout.write(Buffer.concat(chunks)));
socket.on("error", (error) => { console.error(error.message); process.exit(2); });
socket.end(Buffer.from(process.argv[2], "base64"));
`;

/** Sends `request` to the socket at `path` as nobody; resolves with the exit code, what came back, stderr and the client's pid. */
export async function requestAsNobody(path: string, request: Buffer | string): Promise<{ code: number | null; output: string; errors: string; pid: number }> {
  const nobody = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", CLIENT, path, Buffer.from(request).toString("base64")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  nobody.stdout.on("data", (chunk) => (output += chunk));
  nobody.stderr.on("data", (chunk) => (errors += chunk));
  const [code] = (await once(nobody, "exit")) as [number | null];
  return { code, output, errors, pid: nobody.pid! };
}
