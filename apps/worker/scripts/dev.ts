/**
 * `npm run dev` (at the root or in apps/worker): local development in one command. Builds the
 * console when `apps/console/dist` is missing (wrangler serves it), copies `.dev.vars.example` to
 * `.dev.vars` when there is none (saying so; its values are local placeholders), applies the D1
 * migrations to the local database, then runs `wrangler dev` with the arguments given
 * (`npm run dev -- --port 8788`). `--persist-to DIR` reaches both the migrations and wrangler dev;
 * with `--env-file FILE`, `.dev.vars` is neither read nor made.
 */
import { spawn } from "node:child_process";
import { copyFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { WORKER_DIR, wranglerBin } from "./lib/stack.ts";

const args = process.argv.slice(2);
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Runs a command in apps/worker with the terminal; resolves with its exit code. */
function run(cmd: string, argv: string[], stdin: "inherit" | "ignore" = "inherit"): Promise<number> {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { cwd: WORKER_DIR, stdio: [stdin, "inherit", "inherit"] });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward).off("SIGTERM", forward);
      done(code ?? (signal ? 1 : 0));
    });
  });
}

const flagValue = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
};

if (!(await exists(join(WORKER_DIR, "../console/dist/index.html")))) {
  console.log("dev: building the console (apps/console/dist) once");
  const code = await run("npm", ["run", "build", "-w", "@gptimg/console"], "ignore");
  if (code !== 0) process.exit(code);
}
if (flagValue("--env-file") === undefined && !(await exists(join(WORKER_DIR, ".dev.vars")))) {
  await copyFile(join(WORKER_DIR, ".dev.vars.example"), join(WORKER_DIR, ".dev.vars"));
  console.log(
    "dev: made apps/worker/.dev.vars from .dev.vars.example (local placeholders; edit it for a real provider)",
  );
}
const wrangler = await wranglerBin();
const persist = flagValue("--persist-to");
// stdin ignored: wrangler applies without asking, as it does in CI
const migrated = await run(
  wrangler,
  ["d1", "migrations", "apply", "DB", "--local", ...(persist ? ["--persist-to", persist] : [])],
  "ignore",
);
if (migrated !== 0) {
  console.error("dev: applying the D1 migrations failed (see above); wrangler dev was not started");
  process.exit(migrated);
}
process.exit(await run(wrangler, ["dev", ...args]));
