// Status codes returned by every Wasm export. This file is plain TypeScript that both
// AssemblyScript and the Node host compile, so the two sides can never disagree on a number.

/** Outcome of a Wasm core operation; 0 is success, everything else names what was wrong. */
export enum Status {
  Ok = 0,
  /** The buffer ends before the header or the length its fields claim. */
  Truncated = 1,
  /** An argument is outside what the function accepts (bad length, pointer past memory). */
  BadArgument = 2,
  BadVersion = 3,
  BadHeaderLength = 4,
  BadChecksum = 5,
  TtlExpired = 6,
  NoRoute = 7,
  TooBig = 8,
  Unsupported = 9,
  OutOfMemory = 10,
  /** Fields are readable but break a rule of the protocol (e.g. VXLAN without its I flag). */
  Malformed = 11,
  /** An encapsulated packet from an address that holds no current lease: dropped. */
  UnknownPeer = 12,
  /**
   * An outer packet that is a fragment: the kernel reassembles before a socket sees one, so a
   * fragment that gets here was not meant for us (its inner packet would be cut): dropped.
   */
  Fragment = 13,
}
