#!/usr/bin/env bash
# README's test command: installs what the suites need, builds, runs every suite.
# Usage: npm test [-- PATTERN]   (PATTERN: a regex over test file names, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
exec node scripts/test.mjs "$@"
