// Buffered writing to stdout for commands that print a great deal (a million decoded packets):
// text is gathered and written with writeSync in large pieces, retrying when a non-blocking pipe
// is momentarily full, so output order and completeness never depend on the event loop.

import { writeSync } from "node:fs";

const FLUSH_AT = 1 << 20;

/** Collects output and writes it to a file descriptor in large pieces. */
export class OutputBuffer {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd = 1) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT) this.flush();
  }

  writeBytes(bytes: Uint8Array): void {
    this.flush();
    writeAll(this.fd, bytes);
  }

  flush(): void {
    if (this.parts.length === 0) return;
    writeAll(this.fd, Buffer.from(this.parts.join(""), "utf8"));
    this.parts = [];
    this.size = 0;
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
