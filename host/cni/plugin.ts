// The CNI plugin: one implementation of ADD, DEL, CHECK, STATUS, GC and VERSION, with its input
// (the CNI_* environment and the config on stdin) and output (result or error JSON, exit code)
// injected, so the agent serves it over its socket and `podnet cni` runs it in-process.

import { createConnection } from "node:net";
import { addressSourceFor } from "./address-sources";
import type { NodeIpam } from "./block-source";
import { configVersion, decodeConfig, type NetworkConfig, parseCniNetworkConfig } from "./config";
import { type Environment, parseEnvironment, requireNetns } from "./environment";
import { asCniError, CniError, CniErrorCode, errorJson } from "./errors";
import { attachmentKey } from "./ipam";
import { attachBridgePod, attachRoutedPod, checkPod, collectLinks, detachPod, hostVethName } from "./pod-link";
import type { Kernel } from "../net/kernel";
import { checkCommandVersion, checkVersion, formatResult, LATEST_VERSION, parsePreviousResult, SUPPORTED_VERSIONS } from "./versions";

interface PluginInput {
  env: Record<string, string | undefined>;
  stdin: string;
}

export interface PluginOutput {
  exitCode: number;
  stdout: string;
}

export interface PluginContext {
  /** Where pod links, addresses and routes are made (systemKernel; a fake in unit tests). */
  kernel: Kernel;
  /** True inside the agent (STATUS then knows the agent is up). */
  servedByAgent: boolean;
  /** Calico mode inside the agent: its block IPAM and node name (in-process, the plugin opens the store). */
  nodeIpam?: NodeIpam;
  /** Told about each finished command (the agent logs it). */
  onFinished?: (event: { command: string; containerId: string; ifName: string; error?: CniError; milliseconds: number }) => void;
}

async function add(kernel: Kernel, config: NetworkConfig, environment: Environment, nodeIpam?: NodeIpam): Promise<string> {
  requireNetns(environment.netns);
  const addresses = addressSourceFor(config, nodeIpam);
  const addressing = await addresses.allocate(environment);
  const attachment = { containerId: environment.containerId, ifName: environment.ifName, netns: environment.netns };
  try {
    const result = config.mode === "bridge" ? await attachBridgePod(kernel, config, attachment, addressing) : await attachRoutedPod(kernel, config, attachment, addressing);
    return JSON.stringify(formatResult(result, config.cniVersion));
  } catch (error) {
    await addresses.release(environment).catch(() => undefined);
    throw error;
  }
}

async function del(kernel: Kernel, config: NetworkConfig, environment: Environment, nodeIpam?: NodeIpam): Promise<void> {
  await detachPod(kernel, config, environment);
  await addressSourceFor(config, nodeIpam).release(environment);
}

async function check(kernel: Kernel, config: NetworkConfig, environment: Environment, nodeIpam?: NodeIpam): Promise<void> {
  requireNetns(environment.netns);
  const previous = parsePreviousResult(config.prevResult);
  if (!previous) throw new CniError(CniErrorCode.InvalidNetworkConfig, "prevResult is missing: CHECK compares against the ADD result");
  await checkPod(kernel, config, { containerId: environment.containerId, ifName: environment.ifName, netns: environment.netns }, previous);
  for (const ip of previous.ips) {
    const address = ip.address.split("/")[0];
    if (!(await addressSourceFor(config, nodeIpam).holds(environment, address))) throw new CniError(CniErrorCode.CheckFailed, `${address} is not reserved for container ${environment.containerId} ${environment.ifName}`);
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function status(config: NetworkConfig, context: PluginContext): Promise<void> {
  await addressSourceFor(config, context.nodeIpam).checkAvailable();
  if (!context.servedByAgent && !(await socketAnswers(config.agentSocket))) {
    throw new CniError(CniErrorCode.LimitedConnectivity, `the podnet agent is not answering on ${config.agentSocket}: pods can be added, but routes to new nodes are not being learned`);
  }
}

async function garbageCollect(kernel: Kernel, config: NetworkConfig, nodeIpam?: NodeIpam): Promise<void> {
  if (!config.validAttachments) throw new CniError(CniErrorCode.InvalidNetworkConfig, "cni.dev/valid-attachments is missing: GC needs the list of attachments to keep");
  const keep = new Set(config.validAttachments.map((entry) => attachmentKey(entry.containerID, entry.ifname)));
  await addressSourceFor(config, nodeIpam).collect(keep);
  await collectLinks(kernel, config, new Set(config.validAttachments.map((entry) => hostVethName(config.hostVethPrefix, { containerId: entry.containerID, ifName: entry.ifname }))));
}

function version(stdin: string): string {
  let requested = LATEST_VERSION;
  if (stdin.trim() !== "") {
    const raw = decodeConfig(stdin);
    if (raw.cniVersion !== undefined) {
      requested = configVersion(raw);
    }
  }
  return JSON.stringify({ cniVersion: requested, supportedVersions: SUPPORTED_VERSIONS });
}

/** The version to answer an error in: the config's when it names a supported one. */
function errorVersion(stdin: string): string {
  try {
    const raw = JSON.parse(stdin) as { cniVersion?: unknown };
    if (typeof raw.cniVersion === "string") {
      checkVersion(raw.cniVersion);
      return raw.cniVersion;
    }
  } catch {
    // not JSON or an unknown version: answer in the newest
  }
  return LATEST_VERSION;
}

/** Runs one plugin invocation. Never throws: failures become the spec's error JSON and exit code 1. */
export async function runPlugin(input: PluginInput, context: PluginContext): Promise<PluginOutput> {
  const started = performance.now();
  let environment: Environment | undefined;
  try {
    environment = parseEnvironment(input.env);
    if (environment.command === "VERSION") return { exitCode: 0, stdout: version(input.stdin) };
    const config = parseCniNetworkConfig(decodeConfig(input.stdin));
    checkCommandVersion(environment.command, config.cniVersion);
    let stdout = "";
    switch (environment.command) {
      case "ADD":
        stdout = await add(context.kernel, config, environment, context.nodeIpam);
        break;
      case "DEL":
        await del(context.kernel, config, environment, context.nodeIpam);
        break;
      case "CHECK":
        await check(context.kernel, config, environment, context.nodeIpam);
        break;
      case "STATUS":
        await status(config, context);
        break;
      case "GC":
        await garbageCollect(context.kernel, config, context.nodeIpam);
        break;
    }
    context.onFinished?.({ command: environment.command, containerId: environment.containerId, ifName: environment.ifName, milliseconds: performance.now() - started });
    return { exitCode: 0, stdout };
  } catch (thrown) {
    const error = asCniError(thrown);
    context.onFinished?.({ command: environment?.command ?? String(input.env.CNI_COMMAND), containerId: environment?.containerId ?? "", ifName: environment?.ifName ?? "", error, milliseconds: performance.now() - started });
    return { exitCode: 1, stdout: JSON.stringify(errorJson(error, errorVersion(input.stdin))) };
  }
}
