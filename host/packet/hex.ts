// Hex text ⇄ bytes without Node's Buffer, so the packet modules also run in a browser.

const DIGIT_CODES = new TextEncoder().encode("0123456789abcdef");
const ASCII = new TextDecoder("latin1");

/** Lower-case hex of `bytes`, no separators: digit codes into one array, decoded once. */
export function toHex(bytes: Uint8Array): string {
  const codes = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    codes[2 * i] = DIGIT_CODES[bytes[i] >> 4];
    codes[2 * i + 1] = DIGIT_CODES[bytes[i] & 15];
  }
  return ASCII.decode(codes);
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
