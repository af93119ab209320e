#!/usr/bin/env node
// npm test: type check, then every uvu suite under test/ (unit suites and the root-only
// network-namespace suites) in one run, then the closing line CI reads: "N passed, N failed".
// uvu prints its own totals; we re-count from them. A suite whose before-hook throws is
// reported by uvu as run but not passed, so failed = total - passed, never taken from exit codes alone.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { lateRegistrations } from "./late-registrations.mjs";

const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");

function run(command, args, { capture = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"], env });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on("close", (code, signal) => resolve({ code: code ?? 128, signal, output }));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;

console.log("test: type check (tsc --noEmit)");
const lint = await run("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]);
if (lint.code === 0) passed += 1;
else {
  failed += 1;
  console.log("test: type check FAILED");
}

console.log("test: import rules (scripts/import-check.mjs)");
const imports = await run("node", ["scripts/import-check.mjs"]);
if (imports.code === 0) passed += 1;
else {
  failed += 1;
  console.log("test: import rules FAILED");
}

// Only *.test.ts files are suites; an optional argument narrows them further (a regex on the path).
const filter = process.argv[2] ?? "";
const pattern = `^(?=.*(?:${filter})).*\\.test\\.ts$`;

// A suite that registers tests after its run() would pass with those tests never run: refuse it.
const suiteFiles = readdirSync("test", { recursive: true }).map((path) => join("test", path)).filter((path) => new RegExp(pattern).test(path));
for (const file of suiteFiles) {
  for (const { name, line, runLine } of lateRegistrations(file)) {
    console.log(`test: ${file}:${line} registers a test on '${name}' after ${name}.run() (line ${runLine}): uvu never runs it`);
    failed += 1;
  }
}

/** Runs the suites matching `suitePattern` in one uvu process and adds its totals. */
async function runSuites(suitePattern, env = process.env) {
  const suites = await run("node", ["--import", "tsx", "node_modules/uvu/bin.js", "test", suitePattern], { capture: true, env });
  const text = stripAnsi(suites.output);
  const count = (label) => Number(text.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "m"))?.[1] ?? NaN);
  const total = count("Total");
  const suitePassed = count("Passed");
  const suiteSkipped = count("Skipped");
  if (Number.isNaN(total) || Number.isNaN(suitePassed)) {
    console.log(`test: uvu ended (exit ${suites.code}${suites.signal ? `, ${suites.signal}` : ""}) without its totals`);
    failed += 1;
  } else {
    passed += suitePassed;
    failed += total - suitePassed;
    skipped += Number.isNaN(suiteSkipped) ? 0 : suiteSkipped;
    if (suites.code !== 0 && total === suitePassed) failed += 1; // uvu failed outside any test
  }
}

await runSuites(pattern);

// Kernel state goes through rtnetlink by default; the iproute2 kernel stays as a fallback for one
// release (PODNET_KERNEL=ip), so the suites that change kernel state run once more on it.
const IPROUTE2_SUITES = "netns/(backends|cni|calico|calico-ipip)\\.test\\.ts$";
if (filter === "" || process.env.PODNET_TEST_IPROUTE2) {
  console.log("test: the kernel-changing suites again on the iproute2 kernel (PODNET_KERNEL=ip)");
  await runSuites(IPROUTE2_SUITES, { ...process.env, PODNET_KERNEL: "ip" });
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
