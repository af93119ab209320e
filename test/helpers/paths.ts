// Paths of the build artifacts the tests exercise (built by `npm run build` before the suites run).
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
export const distPath = (name: string): string => fileURLToPath(new URL(`../../dist/${name}`, import.meta.url));
