// The agent's JavaScript heap holds the peer table and little else (packets live in the Wasm
// module's memory). V8 starts the young generation at 1 MB a semi-space and doubles it, up to
// 16 MB, whenever many objects survive a scavenge, as they do when 1,000 leases arrive at once,
// and a grown young generation stays resident for the life of the process. Kept at its start
// size, the agent with 1,000 peers is ~5–8 MB smaller (bench/agent.bench.ts).
//
// A command-line flag would do (--max-semi-space-size), but Node 20's single executable takes
// none; V8 reads the growth factor each time it grows the space, so setting it at run time holds.

import { setFlagsFromString } from "node:v8";

export function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}
