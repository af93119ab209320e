// One TCP connection's half of the BGP FSM (RFC 4271 §8.2.2), from the moment TCP is up: OpenSent,
// OpenConfirm, Established, then closed. One handler per state; the hold and keepalive timers are
// its inputs, and the socket, timers and receive buffer live and die with it. The peer (peer.ts)
// owns the Idle/Connect/Active half, connection collisions and retries.

import type { Socket } from "node:net";
import { notificationName } from "./constants";
import { BgpMessageError } from "./codec/error";
import { decodeMessage, DEFAULT_CONTEXT, encodeMessage, messageLength, type BgpMessage, type MessageContext, type NotificationMessage } from "./codec/message";
import { concat, type OpenMessage } from "./codec/open";
import type { UpdateMessage } from "./codec/update";
import type { RouteRefreshMessage } from "./codec/message";
import { OPEN_HOLD_TIME } from "./config";
import type { Negotiated } from "./negotiate";

const RECEIVE_SLICE_MS = 10;

type ConnectionState = "OpenSent" | "OpenConfirm" | "Established" | "Closed";
type Direction = "outbound" | "inbound";

/** Why a connection ended. */
export interface CloseReason {
  /** The NOTIFICATION we sent, if any. */
  sent?: NotificationMessage;
  /** The NOTIFICATION the peer sent, if any. */
  received?: NotificationMessage;
  /** Words for the log and for `bgp show`. */
  message: string;
  /** Offset of the offending bytes in the message, when a message was at fault. */
  offset?: number;
}

export interface ConnectionEvents {
  /** The peer's OPEN: return what was agreed, or throw the BgpMessageError to answer with. */
  open(connection: Connection, open: OpenMessage): Negotiated;
  established(connection: Connection): void;
  update(connection: Connection, update: UpdateMessage): void;
  routeRefresh(connection: Connection, request: RouteRefreshMessage): void;
  closed(connection: Connection, reason: CloseReason): void;
  /** Every NOTIFICATION, either way, for the counters. */
  notification(connection: Connection, notification: NotificationMessage, direction: "sent" | "received"): void;
}

export class Connection {
  state: ConnectionState = "OpenSent";
  negotiated?: Negotiated;
  context: MessageContext = DEFAULT_CONTEXT;
  private buffer: Uint8Array = new Uint8Array(0);
  /** When this turn of the event loop started receiving, and whether it paused the socket (see drain). */
  private sliceStarted?: number;
  private pausedForSlice = false;
  private holdTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private holdSeconds = OPEN_HOLD_TIME;
  /** Resolves when the socket is closed (a NOTIFICATION we sent has gone out, or was given up on). */
  readonly finished: Promise<void>;

  constructor(
    readonly socket: Socket,
    readonly direction: Direction,
    private readonly ourOpen: OpenMessage,
    private readonly events: ConnectionEvents,
  ) {
    this.finished = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.close({ message: `socket: ${error.message}` }));
    socket.on("close", () => this.close({ message: "connection closed by the peer" }));
    this.send(ourOpen);
    this.restartHoldTimer();
  }

  get localAddress(): string {
    return this.socket.localAddress?.replace(/^::ffff:/, "") ?? "";
  }

  /** Sends a message; false when the socket's buffer is full (wait for "drain"). */
  send(message: BgpMessage): boolean {
    return this.write(encodeMessage(message, this.context));
  }

  /** Sends encoded bytes (one or more whole messages). */
  write(bytes: Uint8Array): boolean {
    if (this.state === "Closed") return false;
    return this.socket.write(bytes);
  }

  /** Sends NOTIFICATION code/subcode (if given), then closes. */
  close(reason: CloseReason): void {
    if (this.state === "Closed") return;
    this.state = "Closed";
    clearTimeout(this.holdTimer);
    clearInterval(this.keepaliveTimer);
    if (reason.sent) {
      this.events.notification(this, reason.sent, "sent");
      this.socket.end(encodeMessage(reason.sent));
      // Read on (discarding) so the peer's FIN is seen at once, even mid-load with the socket paused
      // between receive slices; a peer that never closes must not keep it: a moment, then go.
      this.buffer = new Uint8Array(0);
      this.socket.resume();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.events.closed(this, reason);
  }

  /** Closes with a Cease NOTIFICATION of `subcode` (RFC 4486). */
  cease(subcode: number, message: string): void {
    this.close({ sent: { type: "notification", code: 6, subcode, data: new Uint8Array(0) }, message });
  }

  private receive(chunk: Buffer): void {
    if (this.state === "Closed") return; // after our NOTIFICATION: only the peer's FIN matters
    this.buffer = this.buffer.length === 0 ? chunk : concat([this.buffer, chunk]);
    this.drain();
  }

  /**
   * Handles the whole messages in the buffer, for at most RECEIVE_SLICE_MS in one turn of the event
   * loop; past that the socket pauses and the rest waits for the next turn. Without this a table
   * load is one long stall: libuv reads a ready socket up to 32 times (64 KiB each) before timers
   * get their turn, half a second of UPDATEs (measured), with our keepalives waiting.
   */
  private drain(): void {
    const started = (this.sliceStarted ??= this.startSlice());
    let at = 0;
    try {
      while (this.state !== "Closed") {
        if (performance.now() - started > RECEIVE_SLICE_MS) {
          this.socket.pause();
          this.pausedForSlice = true;
          break;
        }
        const length = messageLength(this.buffer, at, this.context);
        if (length === 0 || at + length > this.buffer.length) break;
        const bytes = this.buffer.subarray(at, at + length);
        at += length;
        this.handle(bytes);
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.buffer = at === this.buffer.length ? new Uint8Array(0) : this.buffer.slice(at);
  }

  /** Starts a receive slice: the next turn of the loop ends it and goes on with what was left. */
  private startSlice(): number {
    setImmediate(() => {
      this.sliceStarted = undefined;
      if (!this.pausedForSlice || this.state === "Closed") return;
      this.pausedForSlice = false;
      this.drain();
      if (!this.pausedForSlice) this.socket.resume();
    });
    return performance.now();
  }

  private handle(bytes: Uint8Array): void {
    this.restartHoldTimer();
    const message = decodeMessage(bytes, this.context);
    if (message.type === "notification") {
      this.events.notification(this, message, "received");
      this.close({ received: message, message: `received NOTIFICATION ${notificationName(message.code, message.subcode)}${describeData(message)}` });
      return;
    }
    switch (this.state) {
      case "OpenSent":
        return this.inOpenSent(message);
      case "OpenConfirm":
        return this.inOpenConfirm(message);
      case "Established":
        return this.inEstablished(message);
    }
  }

  private inOpenSent(message: BgpMessage): void {
    if (message.type !== "open") return this.fsmError(1, message);
    const negotiated = this.events.open(this, message);
    if (this.state === "Closed") return; // lost a connection collision
    this.negotiated = negotiated;
    this.context = {
      fourOctetAs: negotiated.fourOctetAs,
      addPath: (afi) => negotiated.addPathReceive.has(afi),
      external: negotiated.peerAs !== this.ourAs(),
      extendedMessage: negotiated.extendedMessage,
    };
    this.holdSeconds = negotiated.holdTime;
    this.state = "OpenConfirm";
    this.send({ type: "keepalive" });
    this.restartHoldTimer();
    if (negotiated.keepaliveTime > 0) {
      this.keepaliveTimer = setInterval(() => this.send({ type: "keepalive" }), negotiated.keepaliveTime * 1000);
    }
  }

  private inOpenConfirm(message: BgpMessage): void {
    if (message.type !== "keepalive") return this.fsmError(2, message);
    this.state = "Established";
    this.events.established(this);
  }

  private inEstablished(message: BgpMessage): void {
    switch (message.type) {
      case "update":
        return this.events.update(this, message);
      case "route-refresh":
        return this.events.routeRefresh(this, message);
      case "keepalive":
        return;
      default:
        return this.fsmError(3, message);
    }
  }

  /** RFC 6608: an unexpected message type in this state. */
  private fsmError(subcode: number, message: BgpMessage): void {
    const data = Uint8Array.of(messageTypeNumber(message));
    this.close({ sent: { type: "notification", code: 5, subcode, data }, message: `unexpected ${message.type.toUpperCase()} in ${this.state}` });
  }

  private fail(error: unknown): void {
    if (error instanceof BgpMessageError) {
      this.close({ sent: { type: "notification", code: error.code, subcode: error.subcode, data: error.data }, message: error.message, offset: error.offset });
      return;
    }
    // A defect of ours, not the peer's: say so, and reset the session rather than the process.
    const message = error instanceof Error ? error.message : String(error);
    this.close({ sent: { type: "notification", code: 6, subcode: 0, data: new Uint8Array(0) }, message: `internal error: ${message}` });
  }

  private restartHoldTimer(): void {
    clearTimeout(this.holdTimer);
    if (this.holdSeconds === 0 || this.state === "Closed") return;
    this.holdTimer = setTimeout(() => {
      this.close({ sent: { type: "notification", code: 4, subcode: 0, data: new Uint8Array(0) }, message: `hold timer expired (${this.holdSeconds} s without a message)` });
    }, this.holdSeconds * 1000);
  }

  private ourAs(): number {
    for (const parameter of this.ourOpen.parameters) {
      if (!("capabilities" in parameter)) continue;
      for (const capability of parameter.capabilities) if (capability.kind === "4-octet-as") return capability.asn;
    }
    return this.ourOpen.myAs;
  }
}

function messageTypeNumber(message: BgpMessage): number {
  return { open: 1, update: 2, notification: 3, keepalive: 4, "route-refresh": 5 }[message.type];
}

function describeData(message: NotificationMessage): string {
  if (message.data.length === 0) return "";
  // RFC 8203: Administrative Shutdown/Reset may carry a UTF-8 reason after a length octet.
  if (message.code === 6 && (message.subcode === 2 || message.subcode === 4) && message.data[0] === message.data.length - 1) {
    return ` "${Buffer.from(message.data.subarray(1)).toString("utf8")}"`;
  }
  return ` data ${Buffer.from(message.data).toString("hex")}`;
}

