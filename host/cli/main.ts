// `podnet` command line: one binary, one subcommand per job (agent, cni, bgp, apply/get/delete,
// packet, route, status).
// Exit codes: 0 success, 1 the work failed, 2 podnet was called wrongly.

import { Command, CommanderError } from "commander";
import { VERSION } from "../version";
import { packetCommand } from "./packet";
import { versionCommand } from "./version";
import { routeCommand } from "./route";
import { agentCommand } from "./agent";
import { statusCommand } from "./status";
import { cniCommand } from "./cni";
import { bgpCommand } from "./bgp";
import { resourceCommands } from "./resources";
import { ipamCommand } from "./ipam";
import { UsageError } from "./usage-error";

/** Builds the full command tree. */
function buildProgram(): Command {
  const program = new Command("podnet")
    .description("container-network agent, CNI plugin and packet tools; the packet path runs in WebAssembly")
    .version(VERSION, "-V, --version", "print the version");
  program.addCommand(packetCommand());
  program.addCommand(agentCommand());
  program.addCommand(routeCommand());
  program.addCommand(statusCommand());
  program.addCommand(cniCommand());
  program.addCommand(bgpCommand());
  for (const command of resourceCommands()) program.addCommand(command);
  program.addCommand(ipamCommand());
  program.addCommand(versionCommand());
  forEachCommand(program, (command) => command.exitOverride().showHelpAfterError("(run with --help for usage)"));
  return program;
}

function forEachCommand(command: Command, visit: (command: Command) => void): void {
  visit(command);
  for (const child of command.commands) forEachCommand(child, visit);
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help, the version or the parse error.
      return error.exitCode === 0 ? 0 : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`podnet: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
