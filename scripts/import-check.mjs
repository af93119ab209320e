#!/usr/bin/env node
// The import rules of host/ (DESIGN.md's rooms), checked over the TypeScript sources as text:
// - no import cycles (type-only imports included: a cycle of types is still a knot to untie);
// - host/net, the ground floor, imports nothing of host/ above it (only host/shared and host/wasm);
// - host/store imports nothing from host/backend.
// Prints each breach and exits 1; `npm test` runs it. An argument names another tree (the test).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = process.argv[2] ?? "host";
const files = readdirSync(root, { recursive: true }).filter((path) => path.endsWith(".ts")).map((path) => join(root, path));
const known = new Set(files);
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

/** host/… files `file` imports (relative specifiers only: packages are not rooms). */
function importsOf(file) {
  const text = readFileSync(file, "utf8");
  const found = new Set();
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith(".")) continue;
    const target = normalize(join(dirname(file), specifier));
    for (const candidate of [`${target}.ts`, join(target, "index.ts")]) if (known.has(candidate)) found.add(candidate);
  }
  return [...found];
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));
const room = (file) => relative(root, file).split("/")[0];
const breaches = [];

const ALLOWED_FROM_NET = new Set(["net", "shared", "wasm", "native"]);
for (const [file, targets] of graph) {
  for (const target of targets) {
    if (room(file) === "net" && !ALLOWED_FROM_NET.has(room(target))) breaches.push(`${file} imports ${target}: host/net is the ground floor and imports nothing above it`);
    if (room(file) === "store" && room(target) === "backend") breaches.push(`${file} imports ${target}: host/store must not import from host/backend`);
  }
}

// Cycles: a depth-first walk; each cycle reported once, from its smallest file.
const state = new Map();
const stack = [];
const cycles = new Set();
function visit(file) {
  state.set(file, "open");
  stack.push(file);
  for (const target of graph.get(file)) {
    if (state.get(target) === "open") {
      const cycle = stack.slice(stack.indexOf(target));
      const start = cycle.indexOf([...cycle].sort()[0]);
      cycles.add([...cycle.slice(start), ...cycle.slice(0, start), cycle[start]].join(" → "));
    } else if (!state.has(target)) visit(target);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of files) if (!state.has(file)) visit(file);
for (const cycle of cycles) breaches.push(`import cycle: ${cycle}`);

for (const breach of breaches) console.log(`imports: ${breach}`);
console.log(breaches.length === 0 ? `imports: ${files.length} files under host/, no cycle, no import against the rooms' order` : `imports: ${breaches.length} breach(es)`);
process.exitCode = breaches.length === 0 ? 0 : 1;
