// A raw BGP peer for tests, run inside a namespace (`node --import tsx test/bgp/wire-peer.ts`): it
// knows nothing of BGP beyond the 19-octet header, so what it sends is exactly the bytes the test
// wrote. Commands arrive as JSON lines on stdin ({"op":"connect","host","port"} | {"op":"listen",
// "host","port"} | {"op":"send","hex"} | {"op":"close"}); events leave as JSON lines on stdout
// ({"event":"connected"} | {"event":"listening"} | {"event":"accepted","at"} (epoch ms) |
// {"event":"message","hex"} | {"event":"closed"} | {"event":"error","message"}). A listening peer
// talks on the connection it accepted last.
import { connect, createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";

let socket: Socket | undefined;
let buffer = Buffer.alloc(0);
const emit = (event: object) => process.stdout.write(JSON.stringify(event) + "\n");

function received(chunk: Buffer): void {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 19) {
    const length = buffer.readUInt16BE(16);
    if (length < 19 || buffer.length < length) break;
    emit({ event: "message", hex: buffer.subarray(0, length).toString("hex") });
    buffer = buffer.subarray(length);
  }
}

function talkOn(current: Socket): void {
  buffer = Buffer.alloc(0);
  socket = current;
  current.on("data", received);
  current.on("error", (error) => emit({ event: "error", message: error.message }));
  current.on("close", () => {
    if (socket === current) emit({ event: "closed" });
  });
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line) as { op: string; host?: string; port?: number; hex?: string };
  if (command.op === "connect") {
    const current = connect({ host: command.host!, port: command.port! });
    talkOn(current);
    current.on("connect", () => emit({ event: "connected" }));
  } else if (command.op === "listen") {
    const server = createServer((accepted) => {
      emit({ event: "accepted", at: Date.now() });
      talkOn(accepted);
    });
    server.on("error", (error) => emit({ event: "error", message: error.message }));
    server.listen(command.port!, command.host!, () => emit({ event: "listening" }));
  } else if (command.op === "send") {
    socket?.write(Buffer.from(command.hex!, "hex"));
  } else if (command.op === "close") {
    socket?.destroy();
    emit({ event: "closed" });
  }
});
