// `podnet version`: what this binary is made of, proving each embedded part loads.

import { Command } from "commander";
import { addon } from "../native/addon";
import { isSingleExecutable } from "../assets";
import { core } from "../wasm/module";
import { VERSION } from "../version";

/** The `version` command: package version, Node version, Wasm ABI and addon functions. */
export function versionCommand(): Command {
  return new Command("version")
    .description("print the version and the versions of the embedded Wasm core and addon")
    .option("--json", "print a JSON object")
    .action((options: { json?: boolean }) => {
      const report = {
        version: VERSION,
        node: process.versions.node,
        singleExecutable: isSingleExecutable(),
        wasmAbi: core().ABI_VERSION.value as number,
        addonFunctions: Object.entries(addon()).filter(([, value]) => typeof value === "function").map(([name]) => name).sort(),
      };
      if (options.json) console.log(JSON.stringify(report));
      else
        console.log(
          `podnet ${report.version} (node ${report.node}, wasm abi ${report.wasmAbi}, ` +
            `addon ${report.addonFunctions.join(" ")}${report.singleExecutable ? ", single executable" : ""})`,
        );
    });
}
