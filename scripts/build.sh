#!/usr/bin/env bash
# npm run build: Wasm core (release + debug), native addon, host bundle, single executable.
# Everything lands in dist/; the single executable dist/podnet needs nothing beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist

echo "build: wasm (release -O3 simd, debug with source map)"
npx asc assembly/index.ts --config asconfig.json --target release
npx asc assembly/index.ts --config asconfig.json --target debug

echo "build: native addon"
node_dir=$(dirname "$(dirname "$(command -v node)")")
(cd host/native && npx node-gyp rebuild --nodedir="$node_dir" --silent)
cp host/native/build/Release/podnet.node dist/podnet.node

echo "build: CNI client (/opt/cni/bin/podnet once installed)"
cc -std=c11 -O2 -Wall -Wextra -Werror -o dist/podnet-cni-client host/native/cni-client.c

echo "build: host bundle (+ better-sqlite3's native module and etcd3's .proto files beside it)"
cp node_modules/better-sqlite3/build/Release/better_sqlite3.node dist/better_sqlite3.node
mkdir -p dist/etcd3-proto
cp node_modules/etcd3/proto/*.proto dist/etcd3-proto/
node scripts/bundle.mjs

echo "build: browser decoder (examples/browser → dist/browser)"
mkdir -p dist/browser
npx esbuild examples/browser/app.ts --bundle --platform=browser --format=esm --target=es2022 \
  --outfile=dist/browser/app.js --log-level=warning
cp examples/browser/index.html dist/podnet.wasm dist/browser/

echo "build: single executable"
node --experimental-sea-config sea-config.json
rm -f dist/podnet
cp "$(command -v node)" dist/podnet
npx postject dist/podnet NODE_SEA_BLOB dist/podnet.blob \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 2>&1 \
  | { grep -v "Can.t find string offset for section name" || true; }
rm -f dist/podnet.blob
# postject writes the 100 MB file in one write, which leaves its page cache in large folios, and
# every process of the binary then maps whole folios: +20 MB resident for an empty program on this
# kernel (6.18, ext4). A copy, as any install makes one, is cached and mapped page by page.
cp dist/podnet dist/podnet.copy
mv -f dist/podnet.copy dist/podnet
echo "build: done, $(du -h dist/podnet | cut -f1) dist/podnet"
