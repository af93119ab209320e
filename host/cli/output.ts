// Buffered writing to stdout for commands that print a great deal (a million decoded packets):
// text is gathered and written with writeSync in large pieces, retrying when a non-blocking pipe
// is momentarily full, so output order and completeness never depend on the event loop.

import { writeSync } from "node:fs";

const CAPACITY = 1 << 20;

/** Collects output as UTF-8 in one reused buffer and writes it to a file descriptor when full. */
export class OutputBuffer {
  private readonly buffer = Buffer.allocUnsafe(CAPACITY);
  private used = 0;

  constructor(private readonly fd = 1) {}

  /** Adds `text`; `ascii` promises it has no character above 0x7f, which encodes faster. */
  write(text: string, ascii = false): void {
    // Each UTF-16 unit is at most 3 UTF-8 bytes; longer texts than the buffer go out directly.
    if (this.used + text.length * 3 > CAPACITY) {
      this.flush();
      if (text.length * 3 > CAPACITY) {
        writeAll(this.fd, Buffer.from(text, "utf8"));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used, ascii ? "latin1" : "utf8");
  }

  /** Adds bytes to what is buffered (e.g. text the Wasm core wrote). */
  append(bytes: Uint8Array): void {
    if (this.used + bytes.length > CAPACITY) {
      this.flush();
      if (bytes.length > CAPACITY) {
        writeAll(this.fd, bytes);
        return;
      }
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  writeBytes(bytes: Uint8Array): void {
    this.flush();
    writeAll(this.fd, bytes);
  }

  flush(): void {
    if (this.used === 0) return;
    writeAll(this.fd, this.buffer.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // let the reader drain
    }
  }
}
