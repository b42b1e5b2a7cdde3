import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Compiles the binary the end-to-end tests run (same script as `npm run build`). */
export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  execFileSync(join(root, "../../node_modules/.bin/bun"), ["scripts/build.ts"], { cwd: root, stdio: "inherit" });
}
