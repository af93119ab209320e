import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
// @ts-expect-error: a plain .mjs script without types
import { lateRegistrations } from "../../scripts/late-registrations.mjs";

const directory = mkdtempSync(join(tmpdir(), "podnet-late-"));
const suiteFile = (name: string, text: string) => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};

test("a test registered after test.run() is reported with its line and the run() line", () => {
  const file = suiteFile("late.test.ts", ['import { test } from "uvu";', 'test("a", () => {});', "test.run();", "", 'test("b", () => {});', 'test.skip("c", () => {});'].join("\n"));
  assert.equal(lateRegistrations(file), [
    { name: "test", line: 5, runLine: 3 },
    { name: "test", line: 6, runLine: 3 },
  ]);
});

test("a named suite registered after its own run() is reported; another suite's later tests are not", () => {
  const file = suiteFile("named.test.ts", ['import { suite } from "uvu";', 'const first = suite("first");', 'const second = suite("second");', 'first("a", () => {});', "first.run();", 'second("b", () => {});', 'first("late", () => {});', "second.run();"].join("\n"));
  assert.equal(lateRegistrations(file), [{ name: "first", line: 7, runLine: 5 }]);
});

test("a suite whose run() comes last is accepted", () => {
  const file = suiteFile("fine.test.ts", ['import { test } from "uvu";', 'test("a", () => {});', 'test("b", () => {});', "test.run();", ""].join("\n"));
  assert.equal(lateRegistrations(file), []);
});

test.after(() => rmSync(directory, { recursive: true, force: true }));
test.run();
