// The demo's TCP check, run inside pod namespaces: `serve` echoes every connection on port 7000;
// `check <address>` sends 200 kB of random bytes there and exits 0 only when all of it came back.
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";

const PORT = 7000;
const [command, address] = process.argv.slice(2);

if (command === "serve") {
  createServer((socket) => socket.pipe(socket)).listen(PORT, "0.0.0.0", () => console.log(`listening on ${PORT}`));
} else if (command === "check" && address) {
  const sent = randomBytes(200_000);
  const chunks = [];
  const socket = connect(PORT, address, () => socket.end(sent));
  socket.on("data", (chunk) => chunks.push(chunk));
  socket.on("end", () => process.exit(Buffer.concat(chunks).equals(sent) ? 0 : 1));
  socket.on("error", (error) => {
    console.error(`demo-tcp: ${address}:${PORT}: ${error.message}`);
    process.exit(2);
  });
  setTimeout(() => {
    console.error(`demo-tcp: ${address}:${PORT}: no complete echo within 5 s`);
    process.exit(3);
  }, 5000);
} else {
  console.error("usage: demo-tcp.mjs serve | check <address>");
  process.exit(2);
}
