// The import rules check (scripts/import-check.mjs) fails on what it is there to catch: a cycle, an
// import from host/net up into another room, host/store importing host/backend. And passes the tree.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repositoryRoot } from "../helpers/paths";

const check = (root: string) => spawnSync(process.execPath, [join(repositoryRoot, "scripts/import-check.mjs"), root], { encoding: "utf8" });

test("a cycle, host/net importing upwards and host/store importing host/backend are each named; exit 1", () => {
  const root = join(mkdtempSync(join(tmpdir(), "podnet-imports-")), "host");
  try {
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write("net/kernel.ts", 'import { Agent } from "../agent/agent";\nexport const kernel = 1;\n');
    write("agent/agent.ts", 'import { kernel } from "../net/kernel";\nexport class Agent {}\n');
    write("store/leases.ts", 'import type { Backend } from "../backend/backend";\n');
    write("backend/backend.ts", "export interface Backend {}\n");
    write("shared/addresses.ts", "export const ok = 1;\n");
    write("net/ip.ts", 'import { ok } from "../shared/addresses";\n');
    const result = check(root);
    assert.is(result.status, 1);
    assert.match(result.stdout, "net/kernel.ts imports");
    assert.match(result.stdout, "host/net is the ground floor and imports nothing above it");
    assert.match(result.stdout, "host/store must not import from host/backend");
    assert.match(result.stdout, /import cycle: .*agent\/agent\.ts → .*net\/kernel\.ts → .*agent\/agent\.ts/);
    assert.match(result.stdout, "imports: 3 breach(es)");
  } finally {
    rmSync(join(root, ".."), { recursive: true, force: true });
  }
});

test("podnet's own host/ passes", () => {
  const result = check(join(repositoryRoot, "host"));
  assert.is(result.status, 0, result.stdout);
  assert.match(result.stdout, "no cycle, no import against the rooms' order");
});

test.run();
