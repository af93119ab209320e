// The agent's Prometheus metrics and its /metrics and /healthz endpoints.

import { COMMANDS } from "../cni/environment";
import { createServer, type Server } from "node:http";
import type { BackendMetrics } from "../backend/backend";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class AgentMetrics implements BackendMetrics {
  readonly registry = new Registry();
  readonly peerRoutes = new Gauge({ name: "podnet_peer_routes", help: "Peer routes the backend holds: one per other node's lease (Flannel mode), per remote block or route and own block (Calico mode)", registers: [this.registry] });
  /** The older name of podnet_peer_routes, kept for one release: in Calico mode it counted routes, not leases. */
  readonly leasesKnown = new Gauge({ name: "podnet_leases_known", help: "Deprecated: podnet_peer_routes (same value; removed in the next release)", registers: [this.registry] });
  readonly watchEvents = new Counter({ name: "podnet_watch_events_total", help: "Lease changes received from the store's watch", labelNames: ["type"], registers: [this.registry] });
  readonly reconcileRuns = new Counter({ name: "podnet_reconcile_runs_total", help: "Full reconciliations of the peer table with the store", registers: [this.registry] });
  readonly reconcileSeconds = new Histogram({ name: "podnet_reconcile_duration_seconds", help: "Time one full reconciliation took", buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] });
  readonly storeErrors = new Counter({ name: "podnet_store_errors_total", help: "Store operations that failed", labelNames: ["operation"], registers: [this.registry] });
  readonly renewals = new Counter({ name: "podnet_lease_renewals_total", help: "Renewals of this node's lease", registers: [this.registry] });
  readonly peerErrors = new Counter({ name: "podnet_peer_errors_total", help: "Attempts to program a peer's route that failed or were refused, by reason (backend-type, backend-data, not-on-link, kernel, capacity); retried at each reconcile", labelNames: ["reason"], registers: [this.registry] });
  readonly routesRestored = new Counter({ name: "podnet_routes_restored_total", help: "podnet routes someone else deleted from the kernel, put back as soon as the kernel said so", registers: [this.registry] });
  readonly devicesRestored = new Counter({ name: "podnet_devices_restored_total", help: "Backend devices (kernel VXLAN's flannel.1) someone else deleted, made again with the same MAC", registers: [this.registry] });
  readonly skippedEntries = new Counter({ name: "podnet_store_entries_skipped_total", help: "Store entries skipped because they do not parse (leases; in Calico mode IPAM handles too)", registers: [this.registry] });
  readonly cniRequests = new Counter({ name: "podnet_cni_requests_total", help: "CNI plugin commands served on the agent's socket, by command and result code (0: success)", labelNames: ["command", "code"], registers: [this.registry] });
  readonly cniRepliesLost = new Counter({ name: "podnet_cni_replies_lost_total", help: "CNI results the agent could not deliver: the runtime's plugin process was gone (its DEL or GC undoes the work)", labelNames: ["command"], registers: [this.registry] });
  readonly cniRefused = new Counter({ name: "podnet_cni_connections_refused_total", help: "CNI socket connections refused because the caller was not root (SO_PEERCRED)", registers: [this.registry] });
  readonly cniSeconds = new Histogram({ name: "podnet_cni_request_duration_seconds", help: "Time the agent took for one CNI command", labelNames: ["command"], buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2], registers: [this.registry] });
  /** Where the userspace data path's packet counts come from, once a userspace backend runs. */
  private datapathSource?: () => Array<[direction: string, status: string, count: number]>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "podnet_process_" });
    const metrics = this;
    // Counted in Wasm memory as packets pass (no JavaScript per packet); read when scraped.
    new Counter({
      name: "podnet_datapath_packets_total",
      help: "Packets the userspace data path handled, by direction (encap: from pods, decap: from the underlay) and status (Ok, or why it was dropped, e.g. UnknownPeer)",
      labelNames: ["direction", "status"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [direction, status, count] of metrics.datapathSource?.() ?? []) this.inc({ direction, status }, count);
      },
    });
  }

  /** Counts one CNI command the agent served. */
  countCni(command: string, code: number, seconds: number): void {
    // The command comes from the caller: only the spec's are labels, anything else is "invalid".
    const label = (COMMANDS as readonly string[]).includes(command) ? command : "invalid";
    this.cniRequests.inc({ command: label, code: String(code) });
    this.cniSeconds.observe({ command: label }, seconds);
  }

  /** Reports the userspace data path's counts (direction, status, count) under podnet_datapath_packets_total. */
  countDatapath(source: () => Array<[direction: string, status: string, count: number]>): void {
    this.datapathSource = source;
  }
}

/** Serves /metrics and /healthz on host:port (port 0: any free one); resolves with the bound port. */
export async function serveMetrics(metrics: { registry: Registry }, address: string, healthy: () => boolean): Promise<{ server: Server; port: number }> {
  const [host, portText] = address.includes(":") ? [address.slice(0, address.lastIndexOf(":")), address.slice(address.lastIndexOf(":") + 1)] : ["127.0.0.1", address];
  const server = createServer(async (request, response) => {
    if (request.url === "/metrics") {
      response.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
    } else if (request.url === "/healthz") {
      const ok = healthy();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ready\n");
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host, () => resolve());
  });
  return { server, port: (server.address() as { port: number }).port };
}
