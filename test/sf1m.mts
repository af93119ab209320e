import { fuzzBgpSessions } from "./fuzz/bgp-session-fuzz.ts";
import { cleanupNamespaces } from "./netns/namespaces.ts";
try { const r = await fuzzBgpSessions(20261208, 1_000_000); console.log(JSON.stringify(r)); } finally { cleanupNamespaces(); }
