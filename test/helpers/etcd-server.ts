// A real etcd (Debian's etcd-server) for tests: loopback only, free ports, a temporary data
// directory, stopped by PID afterwards (also when the test process exits early).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ETCD = "/usr/bin/etcd";

async function healthy(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/health`)).ok;
  } catch {
    return false; // not listening yet
  }
}

/** etcd's health as seen from inside `namespace`. */
function healthyIn(namespace: string, endpoint: string): boolean {
  return spawnSync("ip", ["netns", "exec", namespace, "curl", "-sf", "-m", "1", `${endpoint}/health`]).status === 0;
}

/** True once something accepts TCP connections on the port (etcd with client-cert auth answers no plain health check). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface EtcdServer {
  endpoint: string;
  stop(): Promise<void>;
  /** Stops etcd but keeps its data, for outage tests; start() brings it back on the same port. */
  pause(): Promise<void>;
  start(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
});

/** Files for etcd with TLS and client-certificate authentication. */
export interface EtcdTls {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
}

/** Where etcd runs when not on the test's loopback: a namespace the test made, on one of its addresses. */
export interface EtcdPlace {
  namespace: string;
  address: string;
}

/** Starts etcd on 127.0.0.1 (or in `place`) and waits until it answers. Fails loudly when etcd is missing. */
export async function startEtcd(tls?: EtcdTls, place?: EtcdPlace): Promise<EtcdServer> {
  if (!existsSync(ETCD)) throw new Error(`${ETCD} is missing: run scripts/setup.sh (Debian package etcd-server)`);
  const dataDirectory = mkdtempSync(join(tmpdir(), "podnet-etcd-"));
  // In a namespace of the test's own, fixed ports are free.
  const clientPort = place ? 2379 : await freePort();
  const peerPort = place ? 2380 : await freePort();
  const host = place?.address ?? "127.0.0.1";
  const endpoint = `${tls ? "https" : "http"}://${host}:${clientPort}`;
  const tlsFlags = tls ? ["--cert-file", tls.serverCertFile, "--key-file", tls.serverKeyFile, "--trusted-ca-file", tls.caFile, "--client-cert-auth"] : [];
  let child: ChildProcess | undefined;
  const launch = async () => {
    const args = [
      "--name", "podnet-test", "--data-dir", dataDirectory,
      "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
      "--listen-peer-urls", `http://${host}:${peerPort}`, "--initial-advertise-peer-urls", `http://${host}:${peerPort}`,
      "--initial-cluster", `podnet-test=http://${host}:${peerPort}`, "--log-level", "error", ...tlsFlags,
    ];
    child = place ? spawn("ip", ["netns", "exec", place.namespace, ETCD, ...args], { stdio: ["ignore", "ignore", "pipe"] }) : spawn(ETCD, args, { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    for (let attempt = 0; attempt < 100; attempt++) {
      if (child.exitCode !== null) throw new Error(`etcd exited ${child.exitCode}: ${stderr}`);
      if (place ? healthyIn(place.namespace, endpoint) : tls ? await listening(clientPort) : await healthy(endpoint)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`etcd did not become healthy at ${endpoint}: ${stderr}`);
  };
  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    process.kill(child.pid!, "SIGTERM");
    await exited;
    running.delete(child);
  };
  await launch();
  return {
    endpoint,
    pause: halt,
    start: launch,
    stop: async () => {
      await halt();
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** One member of an etcd cluster in a namespace. */
export interface EtcdMember {
  name: string;
  address: string;
  endpoint: string;
  /** True while its process runs. */
  running(): boolean;
  /** SIGKILL: a member (a leader too) gone without a word. */
  kill(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, comma-separated (the agents' --etcd-endpoints). */
  endpoints: string;
  /** The member the running ones agree leads, or undefined while there is none. */
  leader(): EtcdMember | undefined;
  stop(): Promise<void>;
}

/** What a member says of itself: its ID and the leader's (etcd's grpc-gateway, from inside the namespace). */
function memberStatus(namespace: string, endpoint: string): { memberId: string; leader: string } | undefined {
  const result = spawnSync("ip", ["netns", "exec", namespace, "curl", "-sf", "-m", "1", "-X", "POST", "-d", "{}", `${endpoint}/v3/maintenance/status`], { encoding: "utf8" });
  if (result.status !== 0) return undefined;
  const status = JSON.parse(result.stdout) as { header: { member_id: string }; leader?: string };
  return { memberId: status.header.member_id, leader: status.leader ?? "0" };
}

/**
 * A cluster of etcd members on `addresses` inside `namespace` (a namespace of the test's own,
 * ports 2379/2380), each with its own data directory; resolves once every member is healthy.
 */
export async function startEtcdCluster(namespace: string, addresses: string[]): Promise<EtcdCluster> {
  if (!existsSync(ETCD)) throw new Error(`${ETCD} is missing: run scripts/setup.sh (Debian package etcd-server)`);
  const names = addresses.map((_, index) => `m${index + 1}`);
  const initialCluster = addresses.map((address, index) => `${names[index]}=http://${address}:2380`).join(",");
  const directories: string[] = [];
  const members = addresses.map((address, index): EtcdMember & { child: ChildProcess; stderr: () => string } => {
    const dataDirectory = mkdtempSync(join(tmpdir(), `podnet-etcd-${names[index]}-`));
    directories.push(dataDirectory);
    const endpoint = `http://${address}:2379`;
    const child = spawn("ip", ["netns", "exec", namespace, ETCD, "--name", names[index], "--data-dir", dataDirectory,
      "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
      "--listen-peer-urls", `http://${address}:2380`, "--initial-advertise-peer-urls", `http://${address}:2380`,
      "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", `podnet-${namespace}`,
      "--log-level", "error"], { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    return {
      name: names[index], address, endpoint, child, stderr: () => stderr,
      running: () => child.exitCode === null && child.signalCode === null,
      kill: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        process.kill(child.pid!, "SIGKILL");
        await exited;
        running.delete(child);
      },
    };
  });
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((member) => member.endpoint).join(","),
    leader() {
      const statuses = members.filter((member) => member.running()).map((member) => ({ member, status: memberStatus(namespace, member.endpoint) }));
      const leaders = new Set(statuses.map(({ status }) => status?.leader));
      if (leaders.size !== 1 || statuses.some(({ status }) => !status)) return undefined;
      return statuses.find(({ status }) => status!.memberId === status!.leader)?.member;
    },
    async stop() {
      for (const member of members) await member.kill();
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    },
  };
  for (let attempt = 0; attempt < 150; attempt++) {
    const failed = members.find((member) => member.child.exitCode !== null);
    if (failed) {
      await cluster.stop();
      throw new Error(`etcd member ${failed.name} exited ${failed.child.exitCode}: ${failed.stderr()}`);
    }
    if (members.every((member) => healthyIn(namespace, member.endpoint)) && cluster.leader()) return cluster;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await cluster.stop();
  throw new Error(`etcd cluster on ${addresses.join(", ")} did not become healthy: ${members.map((member) => member.stderr()).join("\n")}`);
}
