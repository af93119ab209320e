// uvu's `test.run()` hands the suite's tests to the runner and starts a fresh, empty suite under
// the same name: a test registered after it is never run and never counted. npm test refuses a
// suite file that does this, so the closing count can be trusted.
import { readFileSync } from "node:fs";

/** The suite names a file registers tests on: uvu's own `test` and each `const X = suite(…)`. */
function suiteNames(text) {
  const names = new Set();
  if (/import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*["']uvu["']/.test(text)) names.add("test");
  for (const match of text.matchAll(/\b(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*suite\s*\(/g)) names.add(match[1]);
  return names;
}

/** Lines (1-based) where `file` registers a test on a suite after that suite's `.run()`. */
export function lateRegistrations(file) {
  const lines = readFileSync(file, "utf8").split("\n");
  const late = [];
  for (const name of suiteNames(lines.join("\n"))) {
    const escaped = name.replace(/\$/g, "\\$");
    const runLine = lines.findIndex((line) => new RegExp(`^\\s*${escaped}\\.run\\(\\)`).test(line));
    if (runLine < 0) continue;
    const registration = new RegExp(`^\\s*${escaped}(?:\\.only|\\.skip)?\\(`);
    for (let i = runLine + 1; i < lines.length; i++) if (registration.test(lines[i])) late.push({ name, line: i + 1, runLine: runLine + 1 });
  }
  return late;
}
