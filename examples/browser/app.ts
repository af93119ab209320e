// The browser decoder: loads podnet.wasm with the standard WebAssembly API and decodes a dropped
// capture with the same modules `podnet packet decode` uses (no Node APIs among them).

import type { CoreExports } from "../../host/wasm/module";
import { CaptureError, readCapture } from "../../host/capture/pcap";
import { PacketDecoder, type DecodedPacket } from "../../host/packet/decode";
import { formatBrief } from "../../host/packet/format";

const status = document.getElementById("status")!;
const list = document.getElementById("packets")!;

async function loadCore(): Promise<CoreExports> {
  const { instance } = await WebAssembly.instantiateStreaming(fetch("podnet.wasm"), {
    env: { abort: () => { throw new Error("podnet.wasm aborted"); } },
  });
  return instance.exports as unknown as CoreExports;
}

const corePromise = loadCore();

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function render(packet: DecodedPacket): HTMLElement {
  const details = element("details");
  details.dataset.packet = String(packet.number);
  details.append(element("summary", formatBrief(packet).trim()));
  for (const layer of packet.layers) {
    const section = element("section");
    section.dataset.layer = layer.layer;
    section.append(element("h3", layer.layer));
    const table = element("table");
    for (const [name, value] of Object.entries(layer)) {
      if (name === "layer") continue;
      const row = element("tr");
      row.dataset.field = name;
      row.append(element("td", name), element("td", String(value), value === "bad" ? "bad" : undefined));
      table.append(row);
    }
    section.append(table);
    details.append(section);
  }
  if (packet.error) details.append(element("p", `decode stopped at ${packet.error.layer}, byte ${packet.error.offset}: ${packet.error.reason}`, "bad"));
  return details;
}

async function decodeFile(file: File): Promise<void> {
  const wasm = await corePromise;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const decoder = new PacketDecoder(wasm);
  list.replaceChildren();
  let count = 0;
  try {
    for (const captured of readCapture(bytes)) {
      list.append(render(decoder.decode(captured.data, captured.linkType, captured.number, captured.timestamp, captured.originalLength)));
      count++;
    }
    status.textContent = `${file.name}: ${count} packets`;
  } catch (error) {
    status.textContent = `${file.name}: ${count} packets, then: ${(error as CaptureError).message}`;
    status.className = "bad";
  }
  status.dataset.done = "true";
}

const drop = document.getElementById("drop")!;
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const file = event.dataTransfer?.files[0];
  if (file) void decodeFile(file);
});
document.getElementById("file")!.addEventListener("change", (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void decodeFile(file);
});
