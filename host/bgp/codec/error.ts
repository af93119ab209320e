// The codec's one error: what went wrong, as the NOTIFICATION that reports it (code, subcode, data)
// and where (the offending byte's offset in the message), so the session can send it and the log
// can name the bytes. GoBGP's MessageError plays the same part.

import { notificationName } from "../constants";

export class BgpMessageError extends Error {
  constructor(
    readonly code: number,
    readonly subcode: number,
    reason: string,
    /** Offset of the offending bytes from the start of the message (its marker). */
    readonly offset: number,
    /** The NOTIFICATION's data field. */
    readonly data: Uint8Array = new Uint8Array(0),
  ) {
    super(`${notificationName(code, subcode)}: ${reason} (at byte ${offset})`);
  }
}
