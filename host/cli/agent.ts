// `podnet agent`: the per-node daemon. Runs until SIGTERM or SIGINT, then stops cleanly and keeps
// its lease, so a restart gets the same subnet.

import { Command, Option } from "commander";
import { Agent } from "../agent/agent";
import { MODE_NAMES, MODES, type ModeName } from "../agent/modes";
import { createLogger, type LogFormat } from "../agent/log";
import { keepYoungGenerationSmall } from "../agent/heap";
import { AgentMetrics, serveMetrics } from "../agent/metrics";
import { CALICO_PREFIX } from "../resources/store";
import { hostname } from "node:os";
import { DEFAULT_CONTROL_SOCKET } from "./bgp";
import { BACKEND_ALIASES, BACKEND_NAMES, backendSettings, createBackend } from "../backend/registry";
import { DEFAULTS as CNI_DEFAULTS } from "../cni/config";
import { MAX_REQUEST_BYTES, REQUEST_TIMEOUT_MILLISECONDS, serveCni } from "../cni/socket-server";
import { detectInterface } from "../net/detect";
import { ipv4ToNumber } from "../shared/addresses";
import { KernelMonitor } from "../net/kernel-monitor";
import { chooseKernelInterface, KERNEL_INTERFACES, KERNEL_VARIABLE, type KernelInterface, systemKernel } from "../net/system-kernel";
import { openStore, type StoreFlags } from "../store/open";
import { withStoreFlags } from "./store-flags";
import { UsageError } from "./usage-error";

interface AgentFlags extends StoreFlags {
  mode: ModeName;
  nodeName: string;
  calicoPrefix: string;
  nodeTtl: string;
  emptyBlockGrace: string;
  gracefulRestart: string;
  leakGrace: string;
  bgpControl: string;
  rtProtosDir: string;
  etcdPrefix: string;
  publicIp?: string;
  iface?: string;
  backend?: string;
  userspace?: boolean;
  offload: boolean;
  subnetFile: string;
  mtu?: string;
  ipMasq?: boolean;
  networkConfig?: string;
  leaseTtl: string;
  reconcileInterval: string;
  metricsAddress: string;
  cniSocket: string;
  logFormat: LogFormat;
  kernel: KernelInterface;
}

/** How long a SIGTERM or SIGINT may take to end the agent. */
const STOP_DEADLINE_MILLISECONDS = 1000;

const positive = (text: string, flag: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${flag} must be a whole number above 0, got '${text}'`);
  return value;
};

export function agentCommand(): Command {
  const command = new Command("agent").description("run the per-node agent: subnet lease (Flannel mode) or blocks and BGP (Calico mode), routes and data path");
  withStoreFlags(command)
    .addOption(new Option("--mode <mode>", "flannel: a subnet lease per node, peers from the store; calico: address blocks, routes by BGP").choices(MODE_NAMES).default("flannel"))
    .option("--node-name <name>", "calico: this node's name (its Node resource and block affinity)", hostname())
    .option("--calico-prefix <prefix>", "calico: key prefix of resources and blocks in the store", CALICO_PREFIX)
    .option("--node-ttl <seconds>", "calico: the Node entry expires this long after the agent stops refreshing it", "300")
    .option("--empty-block-grace <seconds>", "calico: an empty block of this node's is given back after this long", "600")
    .option("--graceful-restart <seconds>", "calico: BGP restart time announced to peers (they keep our routes that long)", "120")
    .option("--rt-protos-dir <dir>", "calico: where to name route protocol 107 'podnet' for ip route ('none': leave it unnamed)", "/etc/iproute2/rt_protos.d")
    .option("--leak-grace <seconds>", "calico: blocks of a node whose Node entry expired are released after this long", "900")
    .option("--bgp-control <path>", "calico: the BGP control socket `podnet status` and `podnet bgp show` ask (0600)", DEFAULT_CONTROL_SOCKET)
    .option("--public-ip <address>", "this node's underlay IPv4 address (default: the default route interface's)")
    .option("--iface <name>", "the underlay interface (default: the default route's)")
    .addOption(new Option("--backend <name>", "data-plane backend; default: the network config's Backend.Type").choices([...BACKEND_NAMES, ...BACKEND_ALIASES]))
    .option("--userspace", "run VXLAN (Flannel mode) or IPIP (Calico mode) in userspace (TUN + Wasm) even when the kernel has the device")
    .option("--no-offload", "userspace data path: packet by packet, without TUN offload (TSO) and UDP GSO/GRO")
    .option("--subnet-file <file>", "where to write FLANNEL_NETWORK/SUBNET/MTU/IPMASQ", "/run/flannel/subnet.env")
    .option("--mtu <bytes>", "the underlay's MTU (default: the interface's); pods get it less the backend's overhead")
    .option("--ip-masq", "masquerade pod traffic leaving the cluster network (nftables table ip podnet; also in the subnet file)")
    .option("--network-config <json>", "network config to write when the store has none, e.g. '{\"Network\":\"10.244.0.0/16\"}'")
    .option("--lease-ttl <seconds>", "lease lifetime; renewed an hour (at most half of it) before expiry", "86400")
    .option("--reconcile-interval <seconds>", "full reconciliation period", "30")
    .option("--metrics-address <host:port>", "where /metrics and /healthz listen", "127.0.0.1:9808")
    .option("--cni-socket <path>", "where the CNI plugin's requests are served (root only); 'none' to serve none", CNI_DEFAULTS.agentSocket)
    .addOption(new Option("--log-format <format>", "text or json").choices(["text", "json"]).default("text"))
    .addOption(
      new Option("--kernel <interface>", "how kernel state is changed: netlink (in process) or ip (iproute2 processes, the previous way; kept for one release)")
        .choices(KERNEL_INTERFACES).env(KERNEL_VARIABLE).default("netlink"),
    )
    .action(async (flags: AgentFlags) => {
      chooseKernelInterface(flags.kernel);
      const mode = MODES[flags.mode];
      const refusal = flags.backend === undefined ? undefined : mode.backendProblem(flags.backend);
      if (refusal) throw new UsageError(refusal);
      keepYoungGenerationSmall();
      const log = createLogger(flags.logFormat);
      if (flags.publicIp) ipv4ToNumber(flags.publicIp);
      const detected = detectInterface(flags.iface, !flags.publicIp);
      const publicIp = flags.publicIp ?? detected.publicIp;
      const interfaceName = detected.interfaceName;
      const mtu = flags.mtu ? positive(flags.mtu, "--mtu") : detected.mtu;
      const store = await openStore(flags);
      const metrics = new AgentMetrics();
      const { plane, nodeIpam, serve } = mode.make({
        store, log, metrics, publicIp, interfaceName, underlayMtu: mtu,
        flannel: {
          prefix: flags.etcdPrefix, subnetFile: flags.subnetFile, ipMasquerade: flags.ipMasq ?? false, networkConfig: flags.networkConfig,
          leaseTtlSeconds: positive(flags.leaseTtl, "--lease-ttl"),
        },
        calico: {
          prefix: flags.calicoPrefix, nodeName: flags.nodeName, nodeTtlSeconds: positive(flags.nodeTtl, "--node-ttl"),
          emptyBlockGraceSeconds: positive(flags.emptyBlockGrace, "--empty-block-grace"), gracefulRestartSeconds: positive(flags.gracefulRestart, "--graceful-restart"),
          leakGraceSeconds: positive(flags.leakGrace, "--leak-grace"), bgpControl: flags.bgpControl, rtProtosDir: flags.rtProtosDir,
        },
      });
      const backendFor = (configured: string, settings: Record<string, unknown>) => {
        const name = flags.backend ?? configured;
        // The config's Backend settings belong to its Type; an operator's other --backend runs on its defaults.
        if (name !== configured && Object.keys(settings).some((key) => key !== "Type")) log.warn({ configured, backend: name }, "--backend overrides the network config's backend type; its Backend settings are not used");
        const chosen = name === configured ? backendSettings(name, settings) : {};
        return createBackend(name, { log, metrics, kernel: systemKernel(), userspace: flags.userspace ?? false, offload: flags.offload, settings: chosen });
      };
      const agent = new Agent({
        plane, backendFor, publicIp, interfaceName, underlayMtu: mtu,
        reconcileIntervalSeconds: positive(flags.reconcileInterval, "--reconcile-interval"), log, metrics,
        watchKernel: (events) => new KernelMonitor(events),
      });
      const { server, port } = await serveMetrics(metrics, flags.metricsAddress, () => agent.healthy());
      log.info({ metrics: `${flags.metricsAddress.replace(/:\d+$/, "")}:${port}` }, "serving /metrics and /healthz");
      const cniServer =
        flags.cniSocket === "none"
          ? undefined
          : await serveCni(flags.cniSocket, {
              servedByAgent: true,
              kernel: systemKernel(),
              nodeIpam,
              onFinished: ({ command, containerId, ifName, error, milliseconds }) => {
                metrics.countCni(command, error ? error.code : 0, milliseconds / 1000);
                const fields = { command, containerId, ifName, ms: Math.round(milliseconds * 10) / 10 };
                if (error) log.warn({ ...fields, code: error.code, details: error.details }, `CNI ${command} failed: ${error.message}`);
                else if (command !== "STATUS" && command !== "VERSION") log.info(fields, `CNI ${command}`);
              },
            }, {
              requestBytes: MAX_REQUEST_BYTES, timeoutMilliseconds: REQUEST_TIMEOUT_MILLISECONDS,
              onReplyLost: ({ command, containerId }) => {
                metrics.cniRepliesLost.inc({ command });
                log.warn({ command, containerId }, `the CNI client went away before the result of its ${command}: the runtime's DEL or GC undoes it`);
              },
              onRefused: ({ pid, uid }) => {
                metrics.cniRefused.inc();
                log.warn({ pid, uid }, "refused a CNI socket connection from a caller that is not root");
              },
            });
      if (cniServer) log.info({ socket: flags.cniSocket }, "serving the CNI plugin");
      const stopping = new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          log.info({ signal }, "shutting down");
          // Whatever a stop waits on (a store that does not answer), the agent is gone within a second:
          // what it holds is in the store and the kernel already, and a restart reconciles the rest.
          setTimeout(() => {
            log.warn({ signal }, "not stopped within 1 s (waiting on the store?): exiting now; the lease and routes are kept");
            process.exit(0);
          }, STOP_DEADLINE_MILLISECONDS).unref();
          resolve();
        };
        process.once("SIGTERM", () => shutdown("SIGTERM"));
        process.once("SIGINT", () => shutdown("SIGINT"));
      });
      // A signal while still waiting for the config or a lease ends the wait too.
      await Promise.race([agent.start(), stopping]);
      const closeModeServers = await serve();
      await stopping;
      closeModeServers();
      await agent.stop();
      cniServer?.close();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      // Done: a store client's retry timers (etcd unreachable) would keep the process alive until the deadline.
      process.exit(0);
    });
  return command;
}
