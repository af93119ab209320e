// BGP messages written out by hand as hex for the raw-peer tests (not by podnet's encoder, so a
// codec bug cannot hide on both sides): the header, attributes, UPDATE and OPEN framing.

export const u8 = (value: number) => value.toString(16).padStart(2, "0");
export const u16 = (value: number) => value.toString(16).padStart(4, "0");
export const u32 = (value: number) => (value >>> 0).toString(16).padStart(8, "0");
export const MARKER = "ff".repeat(16);
export const frame = (type: number, body: string) => MARKER + u16(19 + body.length / 2) + u8(type) + body;
export const attribute = (flags: number, code: number, value: string) => u8(flags) + u8(code) + (flags & 0x10 ? u16(value.length / 2) : u8(value.length / 2)) + value;
export const update = (withdrawn: string, attributes: string, nlri: string) => frame(2, u16(withdrawn.length / 2) + withdrawn + u16(attributes.length / 2) + attributes + nlri);

export const PEER_ID = "c6120002"; // 198.18.0.2
export const OUR_ID = "c6120001"; // 198.18.0.1, the speaker's router ID and cluster ID
export const CAPABILITIES = "010400010001" + "410400" + "00fc00"; // IPv4 unicast, 4-octet AS 64512
export const open = (options: { version?: number; as?: number; hold?: number; id?: string; parameters?: string } = {}) => {
  const parameters = options.parameters ?? "02" + u8(CAPABILITIES.length / 2) + CAPABILITIES;
  return frame(1, u8(options.version ?? 4) + u16(options.as ?? 64512) + u16(options.hold ?? 90) + (options.id ?? PEER_ID) + u8(parameters.length / 2) + parameters);
};
export const KEEPALIVE = frame(4, "");
