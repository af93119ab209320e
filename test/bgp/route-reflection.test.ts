// Route reflection (RFC 4456): a podnet reflector with three clients — two podnet speakers and one
// BIRD — in one AS. Every client learns every other client's prefix exactly once, with
// ORIGINATOR_ID (the client it came from) and CLUSTER_LIST (the reflector's cluster ID), and the
// original next hop. Root only; namespaces only.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanupNamespaces } from "../netns/namespaces";
import { birdRoute, calicoBirdConfig, createLab, startBird, startPodnetSpeaker, waitUntil } from "./lab";

test.after(cleanupNamespaces);

test("a podnet reflector with two podnet clients and a BIRD client: each client learns the others' prefixes once, with ORIGINATOR_ID and CLUSTER_LIST", async () => {
  const lab = createLab("rr", 4);
  const [reflectorNode, clientA, clientB, birdNode] = lab.nodes;
  const clusterId = "198.18.0.100";
  const reflector = startPodnetSpeaker(lab, reflectorNode, ["--as", "64512", "--cluster-id", clusterId, ...[clientA, clientB, birdNode].flatMap((node) => ["--peer", `${node.address},as=64512,rr-client,passive`])]);
  const clients = [clientA, clientB].map((node, i) => startPodnetSpeaker(lab, node, ["--as", "64512", "--peer", `${reflectorNode.address},as=64512,connect-retry=1`, "--announce", `10.244.${i + 2}.0/26`]));
  const bird = startBird(lab, birdNode, calicoBirdConfig({ routerId: birdNode.address, localAs: 64512, neighbors: [{ address: reflectorNode.address, as: 64512 }], owned: ["10.244.4.0/26"] }));
  try {
    await waitUntil(async () => (await reflector.peers()).every((peer) => peer.state === "Established"), 20_000, "three clients established");
    await waitUntil(async () => (await reflector.routes()).length === 3, 10_000, "reflector has three routes");
    for (const [i, client] of clients.entries()) {
      await waitUntil(async () => (await client.routes()).length === 3, 10_000, `client ${i + 1} has three routes`);
      const routes = await client.routes();
      const others = routes.filter((route) => route.from !== "local");
      assert.equal(
        others.map((route) => [route.prefix, route.nextHop, route.originatorId, route.clusterList, route.from]),
        [
          ...[["10.244.2.0/26", clientA.address], ["10.244.3.0/26", clientB.address]].filter(([, address]) => address !== [clientA, clientB][i].address).map(([prefix, address]) => [prefix, address, address, [clusterId], reflectorNode.address]),
          ["10.244.4.0/26", birdNode.address, birdNode.address, [clusterId], reflectorNode.address],
        ],
      );
    }
    await waitUntil(() => birdRoute(bird, "10.244.3.0/26") !== "", 10_000, "BIRD learns the podnet clients' prefixes");
    for (const [prefix, origin] of [["10.244.2.0/26", clientA.address], ["10.244.3.0/26", clientB.address]]) {
      const route = birdRoute(bird, prefix);
      assert.match(route, `BGP.originator_id: ${origin}`);
      assert.match(route, `BGP.cluster_list: ${clusterId}`);
      assert.match(route, `BGP.next_hop: ${origin}`);
      assert.equal(route.match(/unicast \[/g)?.length, 1, route);
    }
    // BIRD's own prefix does not come back to it.
    assert.equal(birdRoute(bird, "10.244.4.0/26").match(/\[peer1/g), null);
    const peers = await reflector.peers();
    assert.equal(peers.map((peer) => [peer.address, peer.prefixes]), [
      [clientA.address, { received: 1, accepted: 1, sent: 2 }],
      [clientB.address, { received: 1, accepted: 1, sent: 2 }],
      [birdNode.address, { received: 1, accepted: 1, sent: 2 }],
    ]);
  } finally {
    for (const running of [reflector, ...clients, bird]) await running.stop();
    lab.remove();
  }
});

test.run();
