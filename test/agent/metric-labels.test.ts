// Metric labels that come from input are bounded: a peer picks the NOTIFICATION numbers it sends
// and a caller picks CNI_COMMAND, so only the values the RFCs and the CNI spec name become labels.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Registry } from "prom-client";
import { notificationLabels, speakerCounters } from "../../host/bgp/metrics";
import { AgentMetrics } from "../../host/agent/metrics";

const notification = (code: number, subcode: number) => ({ type: "notification" as const, code, subcode, data: new Uint8Array(0) });

test("NOTIFICATION labels: named codes and subcodes (and subcode 0) kept, anything else unknown", async () => {
  assert.equal(notificationLabels(notification(3, 10)), { code: "3", subcode: "10" });
  assert.equal(notificationLabels(notification(6, 0)), { code: "6", subcode: "0" });
  assert.equal(notificationLabels(notification(4, 0)), { code: "4", subcode: "0" });
  assert.equal(notificationLabels(notification(3, 7)), { code: "3", subcode: "unknown" });
  assert.equal(notificationLabels(notification(200, 99)), { code: "unknown", subcode: "unknown" });
  const registry = new Registry();
  const counters = speakerCounters(registry);
  for (let code = 0; code < 256; code++) for (let subcode = 0; subcode < 256; subcode += 17) counters.notification("198.18.0.2", notification(code, subcode), "received");
  const series = (await registry.getSingleMetricAsString("podnet_bgp_notifications_total")).split("\n").filter((line) => line.startsWith("podnet_bgp_notifications_total{"));
  assert.ok(series.length <= 40, `${series.length} series from 4,096 different NOTIFICATIONs`);
  assert.match(series.join("\n"), 'podnet_bgp_notifications_total{peer="198.18.0.2",code="unknown",subcode="unknown",direction="received"} 3984');
});

test("CNI request labels: the spec's commands, anything else invalid", async () => {
  const metrics = new AgentMetrics();
  metrics.countCni("ADD", 0, 0.01);
  metrics.countCni("ADD\u0000garbage", 4, 0.001);
  metrics.countCni("x".repeat(1000), 4, 0.001);
  const text = await metrics.registry.getSingleMetricAsString("podnet_cni_requests_total");
  assert.match(text, 'podnet_cni_requests_total{command="ADD",code="0"} 1');
  assert.match(text, 'podnet_cni_requests_total{command="invalid",code="4"} 2');
  assert.is(text.split("\n").filter((line) => line.startsWith("podnet_cni_requests_total{")).length, 2);
});

test.run();
