/**
 * CLI benchmarks (figures, never pass/fail): cold start of `gptimg --version`, `--help` and of a
 * dry-run generate against `node -e 0` and a Bun hello-world binary compiled here with the same
 * flags, by wall time and by CPU time (bench/cpu-starts.py), with the dry-run's floor (core alone
 * building, describing and printing the same request: bench/dry-run-floor.ts); then n=4 4K images
 * from the offline provider (no latency): wall time and peak RSS of the gptimg process. Every
 * binary is timed as a fresh copy (`timedCopy`), so page-cache state does not favour one of them.
 * Run: npm run bench -w apps/cli (builds dist/gptimg first through turbo, or run the build).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startOfflineProvider } from "@gptimg/offline-provider";
import { compileFlags } from "../scripts/build.ts";

const root = join(import.meta.dirname, "..");
const built = join(root, "dist/gptimg");
const launcher = join(root, "npm/gptimg/bin/gptimg.js");
const bun = join(root, "../../node_modules/.bin/bun");
const RUNS = 60;
const work = mkdtempSync(join(tmpdir(), "gptimg-bench-"));

/**
 * A fresh copy of the binary `path`, the one that is timed. How a binary's pages came into the
 * page cache moves its start by up to 1.2x (two byte-identical hello worlds measured 1.20x apart,
 * and equal once each was copied; docs/benchmarks.md), so every binary compared here is timed
 * as a copy written the same way, just before the runs.
 */
function timedCopy(path: string, name: string): string {
  const copy = join(work, `${name}.timed`);
  copyFileSync(path, copy);
  chmodSync(copy, 0o755);
  return copy;
}

if (!existsSync(built)) spawnSync(bun, ["scripts/build.ts"], { cwd: root, stdio: "inherit" });
const bin = timedCopy(built, "gptimg");
const env = {
  PATH: process.env.PATH ?? "",
  HOME: work,
  XDG_CONFIG_HOME: join(work, ".config"),
  GPTIMG_BINARY_PATH: bin,
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Median and minimum start-to-exit time of each command. Runs are interleaved round-robin so
 * background load on the machine hits every command alike.
 */
function coldStarts(cmds: [string, string, string[]][]): [string, number, number][] {
  const times = cmds.map(() => [] as number[]);
  for (const [, cmd, args] of cmds) spawnSync(cmd, args, { env, cwd: work }); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const [j, [name, cmd, args]] of cmds.entries()) {
      const t = performance.now();
      const r = spawnSync(cmd, args, { env, cwd: work, stdio: "ignore" });
      times[j]!.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    }
  }
  return cmds.map(([name], j) => [name, median(times[j]!), Math.min(...times[j]!)]);
}

// A Bun hello world compiled here with the flags scripts/build.ts uses for gptimg.
writeFileSync(join(work, "hello.ts"), 'console.log("hello");\n');
const hello = spawnSync(bun, ["build", ...compileFlags, join(work, "hello.ts"), "--outfile", join(work, "hello")], {
  encoding: "utf8",
});
if (hello.status !== 0) throw new Error(`building the hello world failed:\n${hello.stderr}`);
const helloBin = timedCopy(join(work, "hello"), "hello");
// The dry-run's floor: core alone building, describing and printing the same request, same flags.
const floorBin = join(work, "dry-run-floor");
const floor = spawnSync(bun, ["build", ...compileFlags, join(root, "bench/dry-run-floor.ts"), "--outfile", floorBin], {
  encoding: "utf8",
});
if (floor.status !== 0) throw new Error(`building the dry-run floor failed:\n${floor.stderr}`);
const floorTimed = timedCopy(floorBin, "dry-run-floor");
/** The floor's three stages (bench/dry-run-floor.ts), as rows of both tables. */
const floorRows: [string, string, string[]][] = [
  ["core alone: import", floorTimed, ["import"]],
  ["core alone: build the request", floorTimed, ["build"]],
  ["core alone: build, describe, print (dry-run floor)", floorTimed, ["describe"]],
];

const rows = coldStarts([
  ["node -e 0", process.execPath, ["-e", "0"]],
  ["bun hello-world binary", helloBin, []],
  ["gptimg --version", bin, ["--version"]],
  // the npm package's launcher (Node) running the same binary: what `npm i -g gptimg` users start
  ["npm launcher: gptimg --version", process.execPath, [launcher, "--version"]],
  ["gptimg --help", bin, ["--help"]],
  ["gptimg generate --dry-run", bin, ["generate", "a lighthouse", "--dry-run", "--api-key", "bench-key-1"]],
  ...floorRows,
]);

/**
 * The same cold starts by CPU time (user + system of the child, all threads, from wait4's
 * rusage; python3 reads it, Node's child_process does not): steadier than wall time on a shared
 * machine. Undefined without python3.
 */
function cpuStarts(cmds: [string, string, string[]][]): [string, number, number][] | undefined {
  const r = spawnSync(
    "python3",
    [
      join(root, "bench/cpu-starts.py"),
      String(RUNS),
      work,
      JSON.stringify(cmds.map(([name, cmd, args]) => [name, [cmd, ...args]])),
    ],
    { env, encoding: "utf8" },
  );
  if (r.error || r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as [string, number, number][];
}

const cpu = cpuStarts([
  ["bun hello-world binary", helloBin, []],
  ["gptimg --version", bin, ["--version"]],
  ["gptimg --help", bin, ["--help"]],
  ["gptimg generate --dry-run", bin, ["generate", "a lighthouse", "--dry-run", "--api-key", "bench-key-1"]],
  ...floorRows,
]);
const loadDuringStarts = loadavg();

/** Wall time and peak RSS (KiB) of one run: /usr/bin/time when present, else /proc VmHWM polling. */
async function measured(args: string[], extraEnv: Record<string, string>): Promise<{ ms: number; rssKiB: number }> {
  const useTime = existsSync("/usr/bin/time");
  const t = performance.now();
  const child = useTime
    ? spawn("/usr/bin/time", ["-f", "%M", bin, ...args], {
        env: { ...env, ...extraEnv },
        cwd: work,
        stdio: ["ignore", "ignore", "pipe"],
      })
    : spawn(bin, args, { env: { ...env, ...extraEnv }, cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let hwm = 0;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
          if (m) hwm = Math.max(hwm, Number(m[1]));
        } catch {
          // exited
        }
      }, 5);
  const code = await new Promise<number | null>((r) => child.on("close", r));
  const ms = performance.now() - t;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`gptimg exited ${code}: ${stderr}`);
  const rssKiB = useTime ? Number(stderr.trim().split("\n").at(-1)) : hwm;
  return { ms, rssKiB };
}

const provider = await startOfflineProvider({ apiKey: "bench-key-1" });
// "plain": the offline provider's images (PNG compresses them to ~1 MB); "noise": incompressible
// pixels, ~11 MB per 4K PNG, ~60 MB of base64 per response: the realistic worst case.
const variants = { plain: [] as string[], noise: ["--extra", "offline_fault=noise"] };
const big: Record<string, { ms: number; rssKiB: number }[]> = { plain: [], noise: [] };
for (const [name, extra] of Object.entries(variants)) {
  for (let i = 0; i < 5; i++) {
    big[name]!.push(
      await measured(["generate", "a big harbour", "-n", "4", "-s", "4k", ...extra, "-o", join(work, `${name}${i}/`)], {
        GPTIMG_BASE_URL: provider.url,
        GPTIMG_API_KEY: "bench-key-1",
      }),
    );
  }
}
await provider.close();
rmSync(work, { recursive: true, force: true });

const [, helloMedian, helloMin] = rows[1]!;
console.log(
  `\nCLI cold start (median of ${RUNS} runs, ${process.platform}-${process.arch}; target: within 1.2x of the hello world):\n`,
);
console.log("| command | median ms | min ms | median / hello-world | min / hello-world |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, ms, min] of rows) {
  const ratios = /^(gptimg|core)/.test(name)
    ? `${(ms / helloMedian).toFixed(2)}x | ${(min / helloMin).toFixed(2)}x`
    : " | ";
  console.log(`| ${name} | ${ms.toFixed(1)} | ${min.toFixed(1)} | ${ratios} |`);
}
if (cpu) {
  const [, cpuHello] = cpu[0]!;
  console.log(
    `\nCPU time (user + system of the child, median of ${RUNS} interleaved runs; load average ${loadDuringStarts.map((l) => l.toFixed(1)).join(", ")}):\n`,
  );
  console.log("| command | CPU median ms | CPU min ms | median / hello-world |");
  console.log("|---|---:|---:|---:|");
  for (const [name, ms, min] of cpu) {
    const ratio = /^(gptimg|core)/.test(name) ? `${(ms / cpuHello).toFixed(2)}x` : "";
    console.log(`| ${name} | ${ms.toFixed(1)} | ${min.toFixed(1)} | ${ratio} |`);
  }
} else {
  console.log("\n(no python3: CPU times not measured)");
}
{
  const at = (name: string) => rows.find(([n]) => n === name)!;
  const [, nodeMs, nodeMin] = at("node -e 0");
  const [, versionMs, versionMin] = at("gptimg --version");
  const [, launcherMs, launcherMin] = at("npm launcher: gptimg --version");
  console.log(
    `
npm launcher overhead beyond node -e 0 plus the binary: ${(launcherMs - nodeMs - versionMs).toFixed(1)} ms median, ${(launcherMin - nodeMin - versionMin).toFixed(1)} ms min`,
  );
}
console.log("\nn=4 3840x2160 PNGs from the offline provider (no latency), 5 runs each:\n");
console.log("| images | wall median | wall max | peak RSS median | peak RSS max |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, runs] of Object.entries(big)) {
  const mb = (k: number): string => `${(k / 1024).toFixed(1)} MB`;
  console.log(
    `| ${name} | ${median(runs.map((b) => b.ms)).toFixed(0)} ms | ${Math.max(...runs.map((b) => b.ms)).toFixed(0)} ms | ${mb(median(runs.map((b) => b.rssKiB)))} | ${mb(Math.max(...runs.map((b) => b.rssKiB)))} |`,
  );
}
