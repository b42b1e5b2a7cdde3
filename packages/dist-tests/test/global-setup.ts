import { execFileSync } from "node:child_process";
import { ROOT } from "./helpers.ts";

/** Packs every publishable package (this machine's CLI binary included) into dist/npm/. */
export default function setup(): void {
  execFileSync("npm", ["run", "pack", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
}
