// Building packets from their JSON description — the form `podnet packet decode --json`
// prints — through the Wasm core's emitHeader, innermost layer first. Lengths and checksums a
// layer leaves out are computed; those it gives are written as given (broken packets on purpose),
// unless `recompute` asks for all of them to be computed.

import { HeaderKind } from "../../assembly/shared/fields";
import { emitHeader } from "../wasm/headers";
import { fromHex } from "./hex";
import { fromLayerObject, LayerError, type LayerObject } from "./layers";

/** What encode takes: the layers, outermost first, and the payload after the last one. */
export interface PacketDescription {
  layers: LayerObject[];
  payload?: string;
  trailer?: string;
}

/** Encodes `description` into packet bytes. */
export function encodePacket(description: PacketDescription, recompute = false, where = "packet"): Uint8Array {
  if (!Array.isArray(description.layers) || description.layers.length === 0) throw new LayerError(`${where}: needs a non-empty "layers" array`);
  const parsed = description.layers.map((layer, index) => {
    if (typeof layer !== "object" || layer === null || typeof layer.layer !== "string") throw new LayerError(`${where}: layer ${index + 1} needs a "layer" name`);
    return { given: layer, ...fromLayerObject(layer, `${where}, layer ${index + 1}`) };
  });
  let bytes: Uint8Array = wrapHex(description.payload ?? "", `${where}: payload`);
  for (let index = parsed.length - 1; index >= 0; index--) {
    const { kind, fields, options, given } = parsed[index];
    const computes = (name: string) => recompute || !(name in given);
    switch (kind) {
      case HeaderKind.Ipv4:
        if (computes("version")) fields.version = 4;
        if (computes("headerLength")) fields.headerLength = 20 + options.length;
        if (computes("totalLength")) fields.totalLength = fields.headerLength + bytes.length;
        break;
      case HeaderKind.Udp:
        if (computes("length")) fields.length = 8 + bytes.length;
        break;
      case HeaderKind.Tcp:
        if (computes("headerLength")) fields.headerLength = 20 + options.length;
        fields.payloadLength = bytes.length;
        break;
      case HeaderKind.Icmpv4:
        fields.payloadLength = bytes.length;
        break;
      case HeaderKind.Vxlan:
        if (computes("flags")) fields.flags = 0x08;
        break;
    }
    // The pseudo-header of UDP and TCP comes from the IPv4 layer that carries them.
    const carrier = parsed.slice(0, index).reverse().find((layer) => layer.kind === HeaderKind.Ipv4);
    bytes = emitHeader(kind, fields, {
      payload: bytes,
      options,
      keepChecksum: !computes("checksum"),
      source: carrier?.fields.source,
      destination: carrier?.fields.destination,
    });
  }
  if (description.trailer) {
    const trailer = wrapHex(description.trailer, `${where}: trailer`);
    const framed = new Uint8Array(bytes.length + trailer.length);
    framed.set(bytes);
    framed.set(trailer, bytes.length);
    bytes = framed;
  }
  return bytes;
}

function wrapHex(text: string, where: string): Uint8Array {
  try {
    return fromHex(text);
  } catch (error) {
    throw new LayerError(`${where}: ${(error as Error).message}`);
  }
}
