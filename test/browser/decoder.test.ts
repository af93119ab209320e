// examples/browser in headless Chromium (Debian's, driven by playwright-core): the page loads
// podnet.wasm, decodes a capture given to its file input, and shows the layers and their fields.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { pcapFileHeader, pcapRecord } from "../../host/capture/pcap";
import { distPath, repositoryRoot } from "../helpers/paths";

const CHROMIUM = "/usr/bin/chromium";
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

let server: Server | undefined;
let browser: Browser | undefined;

async function start(): Promise<string> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`);
  server = createServer((request, response) => {
    const name = (request.url ?? "/").split("?")[0].replace(/^\/$/, "/index.html");
    const file = distPath(`browser${name.replace(/\.\./g, "")}`);
    if (!existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

test.after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

/** A pcap of the kernel VXLAN fixture frames. */
function fixtureCapture(): string {
  const frames = readFileSync(`${repositoryRoot}test/fixtures/wire/vxlan.hex`, "utf8").trim().split("\n");
  const file = join(mkdtempSync(join(tmpdir(), "podnet-browser-")), "vxlan.pcap");
  writeFileSync(file, Buffer.concat([pcapFileHeader(1), ...frames.map((hex, i) => pcapRecord(Buffer.from(hex, "hex"), 1700000000 + i))]));
  return file;
}

test("the page decodes a dropped VXLAN capture in the browser and shows its layers and fields", async () => {
  const url = await start();
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  const capture = fixtureCapture();
  await page.setInputFiles("#file", capture);
  await page.waitForSelector("#status[data-done]");
  const frameCount = readFileSync(`${repositoryRoot}test/fixtures/wire/vxlan.hex`, "utf8").trim().split("\n").length;
  assert.is(await page.textContent("#status"), `vxlan.pcap: ${frameCount} packets`);
  assert.is(await page.locator("details[data-packet]").count(), frameCount);
  // Packet 3 is an ICMP echo request from pod 10.244.0.1 to 10.244.0.2 over VXLAN VNI 1.
  const packet = page.locator('details[data-packet="3"]');
  assert.equal(await packet.locator("section").evaluateAll((sections) => sections.map((section) => (section as HTMLElement).dataset.layer)),
    ["ethernet", "ipv4", "udp", "vxlan", "ethernet", "ipv4", "icmpv4"]);
  const field = (layer: number, name: string) => packet.locator(`section >> nth=${layer}`).locator(`tr[data-field="${name}"] td >> nth=1`).textContent();
  assert.is(await field(1, "source"), "198.18.0.1");
  assert.is(await field(2, "destinationPort"), "8472");
  assert.is(await field(3, "vni"), "1");
  assert.is(await field(5, "destination"), "10.244.0.2");
  assert.is(await field(6, "checksumStatus"), "good");
  assert.match(await packet.locator("summary").textContent() ?? "", "198.18.0.1 → 198.18.0.2 VXLAN vni=1 10.244.0.1 → 10.244.0.2 ICMP echo request");
  assert.equal(errors, []);
});

test.run();
