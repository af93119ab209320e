// The peers' side of the live-session fuzzer, run inside the peers' namespace
// (`node --import tsx test/fuzz/bgp-session-driver.ts SPEAKER MESSAGES SEED`): two well-behaved
// peers (198.18.0.3, eBGP 65003; 198.18.0.4, iBGP route-reflector client) and one hostile peer
// (198.18.0.2, eBGP 65002) that sends mutated UPDATEs in batches, each ended by a ROUTE-REFRESH
// whose End-of-RIB says the speaker has read the batch. A NOTIFICATION ends the hostile session:
// its code must be one the RFCs name; then it dials again. Every message the good peers receive is
// checked as it arrives. Prints one JSON report line; "stats" lines come after each batch.

import { connect, type Socket } from "node:net";
import { ERROR_CODE_NAMES, ERROR_SUBCODE_NAMES } from "../../host/bgp/constants";
import { decodeMessage, DEFAULT_CONTEXT } from "../../host/bgp/codec/message";
import { seededRandom } from "../helpers/random";
import { KEEPALIVE, open, u32, u8, frame } from "../bgp/frames";
import { HOSTILE_AS, mutatedUpdate, validUpdateHex } from "./bgp-session-mutations";

const [speakerAddress, messagesText, seedText] = process.argv.slice(2);
const total = Number(messagesText);
const random = seededRandom(Number(seedText));
const BATCH = 25;
const ROUTE_REFRESH = frame(5, "00010001");
const END_OF_RIB = frame(2, "00000000");
const failures: string[] = [];
const notifications: Record<string, number> = {};
const kinds: Record<string, number> = {};

const capabilities = (as: number) => "010400010001" + "0200" + "4104" + u32(as);
const peerOpen = (as: number, id: string) => open({ as: as > 0xffff ? 23456 : as, id, parameters: "02" + u8(capabilities(as).length / 2) + capabilities(as) });

/** A TCP session from `local` that hands each whole message to `onMessage`. */
class Session {
  readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  closed = false;
  readonly done: Promise<void>;

  constructor(local: string, private readonly onMessage: (hex: string) => void) {
    this.socket = connect({ host: speakerAddress, port: 179, localAddress: local });
    // Without it every short exchange waits out a delayed ACK (40 ms a session).
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("error", () => undefined);
    this.done = new Promise((resolve) => this.socket.once("close", () => {
      this.closed = true;
      resolve();
    }));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 19) {
      const length = this.buffer.readUInt16BE(16);
      if (this.buffer.length < length || length < 19) break;
      this.onMessage(this.buffer.subarray(0, length).toString("hex"));
      this.buffer = this.buffer.subarray(length);
    }
  }

  send(hex: string): void {
    this.socket.write(Buffer.from(hex, "hex"));
  }
}

/** A well-behaved peer: established once, then every message it receives must be well-formed. */
function goodPeer(local: string, as: number, id: string): { session: Session; established: Promise<void>; received: () => number } {
  let received = 0;
  let resolveEstablished!: () => void;
  const established = new Promise<void>((resolve) => (resolveEstablished = resolve));
  const session: Session = new Session(local, (hex) => {
    const type = parseInt(hex.slice(36, 38), 16);
    if (type === 1) session.send(peerOpen(as, id) + KEEPALIVE);
    else if (type === 4) resolveEstablished();
    else if (type === 2) {
      received++;
      const problem = malformed(hex);
      if (problem) failures.push(`${local} received ${problem}: ${hex.slice(0, 120)}`);
    } else failures.push(`${local} received message type ${type}: ${hex.slice(0, 120)}`);
  });
  // Our OPEN offers a 90 s hold time: keepalives keep a long run's session up.
  const keepalives = setInterval(() => session.send(KEEPALIVE), 20_000);
  void session.done.then(() => {
    clearInterval(keepalives);
    if (!stopping) failures.push(`${local}'s session closed`);
  });
  return { session, established, received: () => received };
}

/** Why an UPDATE sent to a good peer is not well-formed, or undefined. */
function malformed(hex: string): string | undefined {
  const bytes = Buffer.from(hex, "hex");
  if (bytes.length > 4096) return `an UPDATE of ${bytes.length} octets`;
  try {
    const message = decodeMessage(bytes, { ...DEFAULT_CONTEXT, fourOctetAs: true });
    if (message.type !== "update") return `a ${message.type}`;
    if (message.problems.length > 0) return `an UPDATE with problems (${message.problems.map((problem) => problem.reason).join("; ")})`;
    const mp = message.attributes.some((attribute) => attribute.kind === "mp-reach" || attribute.kind === "mp-unreach");
    if (message.nlri.length === 0 && message.withdrawn.length === 0 && !mp && hex !== END_OF_RIB) return "an UPDATE with attributes and no NLRI, withdrawals or MP attributes";
  } catch (error) {
    return `an UPDATE that does not decode (${(error as Error).message})`;
  }
  return undefined;
}

/** Sends `count` mutated UPDATEs and a ROUTE-REFRESH; resolves when read (End-of-RIB) or when the session ended. */
async function hostileBatch(count: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let ended = false;
    const finish = () => {
      if (!ended) resolve();
      ended = true;
    };
    const session: Session = new Session("198.18.0.2", (hex) => {
      const type = parseInt(hex.slice(36, 38), 16);
      if (type === 1) {
        session.send(peerOpen(HOSTILE_AS, "c6120002") + KEEPALIVE);
      } else if (type === 4 && !established) {
        // Valid routes first, read once the ROUTE-REFRESH is answered: the good peers get them, and
        // lose them when the mutations reset the session.
        established = true;
        let valid = "";
        for (let i = 0; i < 5; i++) valid += validUpdateHex(random);
        session.send(valid + ROUTE_REFRESH);
      } else if (type === 2 && hex === END_OF_RIB && established) {
        // End-of-RIBs: the speaker's initial table, then one answer per ROUTE-REFRESH of ours.
        endsOfRib++;
        if (endsOfRib === 2) {
          let batch = "";
          for (let i = 0; i < count; i++) {
            const { hex: message, kind } = mutatedUpdate(random);
            kinds[kind] = (kinds[kind] ?? 0) + 1;
            batch += message;
          }
          session.send(batch + ROUTE_REFRESH);
        } else if (endsOfRib === 3) {
          session.socket.destroy();
        }
      } else if (type === 3) {
        const code = parseInt(hex.slice(38, 40), 16);
        const subcode = parseInt(hex.slice(40, 42), 16);
        const named = code in ERROR_CODE_NAMES && (subcode === 0 || subcode in (ERROR_SUBCODE_NAMES[code] ?? {}));
        if (!named) failures.push(`the hostile peer got NOTIFICATION ${code}/${subcode}, which no RFC names`);
        notifications[`${code}/${subcode}`] = (notifications[`${code}/${subcode}`] ?? 0) + 1;
      }
    });
    let established = false;
    let endsOfRib = 0;
    void session.done.then(finish);
  });
}

let stopping = false;
const good = [goodPeer("198.18.0.3", 65003, "c6120003"), goodPeer("198.18.0.4", 64512, "c6120004")];
await Promise.race([Promise.all(good.map((peer) => peer.established)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
let sent = 0;
let batches = 0;
while (sent < total && failures.length === 0) {
  const count = Math.min(BATCH, total - sent);
  await hostileBatch(count);
  sent += count;
  batches++;
  if (batches % 20 === 0) process.stdout.write(JSON.stringify({ stats: { sent } }) + "\n");
}
// Let the last exports reach the good peers before judging.
await new Promise((resolve) => setTimeout(resolve, 500));
process.stdout.write(JSON.stringify({ report: { sent, batches, notifications, kinds, received: good.map((peer) => peer.received()), goodSessionsUp: good.every((peer) => !peer.session.closed), failures: failures.slice(0, 20) } }) + "\n");
stopping = true;
for (const peer of good) peer.session.socket.destroy();
process.exit(0);
