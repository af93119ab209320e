// The package version, read from package.json at build time (esbuild inlines the JSON).
import packageJson from "../package.json" with { type: "json" };

/** podnet's version, as in package.json. */
export const VERSION: string = packageJson.version;
