// Hex text ⇄ bytes without Node's Buffer, so the packet modules also run in a browser.

const BYTE_HEX = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, "0"));

/** Lower-case hex of `bytes`, no separators. */
export function toHex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = BYTE_HEX[bytes[i]];
  return parts.join("");
}

/** Bytes of hex text (whitespace, colons and a 0x prefix allowed); the error names the first bad digit. */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  const digits = text.replace(/^\s*0x/i, "").replace(/[\s:]/g, "");
  const bad = digits.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new RangeError(`not hex: unexpected '${digits[bad]}' at digit ${bad + 1}`);
  if (digits.length % 2 !== 0) throw new RangeError(`not hex: odd number of digits (${digits.length})`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.substr(i * 2, 2), 16);
  return bytes;
}
