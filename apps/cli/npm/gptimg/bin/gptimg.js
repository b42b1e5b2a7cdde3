#!/usr/bin/env node
// The `gptimg` npm package's launcher: finds the native binary that npm installed for this
// platform (one optional dependency per platform, like esbuild and Biome ship theirs) and runs
// it with this process's arguments, stdio, exit code and signal. Plain CommonJS and Node
// built-ins only, so it costs nothing beyond Node's own start-up.

const { spawn } = require("node:child_process");
const { existsSync, readdirSync } = require("node:fs");

/** Release targets this package has a binary for: `${process.platform}-${process.arch}`[-musl]. */
const PACKAGES = {
  "linux-x64": "@gptimg/cli-linux-x64",
  "linux-arm64": "@gptimg/cli-linux-arm64",
  "linux-x64-musl": "@gptimg/cli-linux-x64-musl",
  "linux-arm64-musl": "@gptimg/cli-linux-arm64-musl",
  "darwin-x64": "@gptimg/cli-darwin-x64",
  "darwin-arm64": "@gptimg/cli-darwin-arm64",
  "win32-x64": "@gptimg/cli-win32-x64",
};

/** Linux with musl libc (Alpine and the like): its dynamic loader is /lib/ld-musl-<arch>.so.1. */
function isMusl() {
  try {
    return readdirSync("/lib").some((f) => f.startsWith("ld-musl-"));
  } catch {
    return false;
  }
}

function findBinary() {
  const override = process.env.GPTIMG_BINARY_PATH;
  if (override) {
    if (existsSync(override)) return override;
    fail(`GPTIMG_BINARY_PATH is set to ${override}, which does not exist.`);
  }
  const base = `${process.platform}-${process.arch}`;
  const key = process.platform === "linux" && isMusl() ? `${base}-musl` : base;
  const pkg = PACKAGES[key];
  if (!pkg) {
    fail(
      `no gptimg binary is published for ${key}. Binaries exist for ${Object.keys(PACKAGES).join(", ")}; ` +
        "elsewhere, build from source: https://github.com/gptimg/gptimg#build-from-source",
    );
  }
  const file = process.platform === "win32" ? "gptimg.exe" : "gptimg";
  try {
    return require.resolve(`${pkg}/bin/${file}`);
  } catch {
    fail(
      `the package ${pkg}, which holds the gptimg binary for ${key}, is not installed. npm installs it ` +
        "as an optional dependency of gptimg: it was skipped if optional dependencies were turned off " +
        "(--omit=optional, --no-optional) or the lockfile was made on another platform. Reinstall with " +
        `optional dependencies (npm i -g gptimg), or add it yourself: npm i ${pkg}`,
    );
  }
}

function fail(message) {
  process.stderr.write(`gptimg: ${message}\n`);
  process.exit(1);
}

const child = spawn(findBinary(), process.argv.slice(2), { stdio: "inherit", windowsHide: false });
child.on("error", (e) => fail(`could not start the binary: ${e.message}`));

// Signals sent to the launcher are passed on to the binary. Ctrl-C in a terminal already reaches
// both (same process group): passing it on as well would be a second Ctrl-C, which makes gptimg
// stop at once instead of finishing cleanly, so from a terminal the launcher only waits.
process.on("SIGINT", () => {
  const tty = require("node:tty"); // loaded here, not at start: most runs never see a signal
  if (!tty.isatty(0) && !tty.isatty(2)) child.kill("SIGINT");
});
if (process.platform !== "win32") {
  for (const signal of ["SIGTERM", "SIGHUP", "SIGQUIT"]) process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    // die of the same signal, so a shell or parent sees what the binary saw
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
