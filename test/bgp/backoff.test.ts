// An active peer's retries after a failed session: the wait starts at the connect-retry time and
// doubles after each failure (as BIRD's `error wait time`), measured from a raw peer that answers
// every connection with an OPEN from the wrong AS. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanupNamespaces } from "../netns/namespaces";
import { createLab, startPodnetSpeaker, waitUntil, WirePeer } from "./lab";
import { open, u32, u8 } from "./frames";

test.after(cleanupNamespaces);

// IPv4 unicast, and 4-octet AS 65000 (the capability's AS is the one that counts, RFC 6793).
const WRONG_AS_CAPABILITIES = "010400010001" + "4104" + u32(65000);
const WRONG_AS_OPEN = open({ as: 65000, parameters: "02" + u8(WRONG_AS_CAPABILITIES.length / 2) + WRONG_AS_CAPABILITIES });

test("a peer refused with 2/2 (Bad Peer AS) is redialled after 1, 2, then 4 s; the speaker says why", async () => {
  const lab = createLab("backoff", 2);
  const [speakerNode, rawNode] = lab.nodes;
  const wire = new WirePeer(rawNode);
  await wire.listen(rawNode.address);
  const speaker = startPodnetSpeaker(lab, speakerNode, ["--as", "64512", "--peer", `${rawNode.address},as=64512,connect-retry=1`]);
  try {
    const accepted: number[] = [];
    while (accepted.length < 4) {
      const event = await wire.next(10_000).catch((error: Error) => {
        throw new Error(`${error.message} after ${accepted.length} connections; podnet said: ${speaker.output()}`);
      });
      if (event.event === "accepted") accepted.push(event.at);
      // podnet's OPEN: answer it as AS 65000, which podnet does not expect.
      if (event.event === "message" && event.hex.slice(36, 38) === "01") wire.send(WRONG_AS_OPEN);
      // NOTIFICATION 2/2 (OPEN Message Error, Bad Peer AS) back, every time.
      if (event.event === "message" && event.hex.slice(36, 38) === "03") assert.is(event.hex.slice(38, 42), "0202");
    }
    const waits = accepted.slice(1).map((at, i) => (at - accepted[i]) / 1000);
    const expected = [1, 2, 4];
    waits.forEach((wait, i) => assert.ok(wait >= expected[i] - 0.05 && wait < expected[i] + 0.75, `wait ${i + 1}: ${wait} s, want ${expected[i]} s: ${waits.join(", ")}`));
    await waitUntil(async () => ((await speaker.peers())[0].lastError ?? "").includes("Bad Peer AS"), 5000, "the peer's last error");
    assert.not.equal((await speaker.peers())[0].state, "Established");
  } finally {
    wire.stop();
    await speaker.stop();
    lab.remove();
  }
});

test.run();
