/**
 * Response decoding benchmark: n = 10 images of 11 MB (~147 MB of JSON) read with
 * readImagesResponse (streaming) and with JSON.parse + Buffer.from (whole body in memory), in
 * Node (tsx) and Bun, each variant in its own process so its peak memory is its own.
 * Prints figures, never pass/fail.   npm run bench   (in packages/core)
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
const runtimes: Record<string, (variant: string) => [string, string[]]> = {
  node: (v) => [bin("tsx"), [...(v === "stream-gc" ? ["--expose-gc"] : []), `${here}decode-run.ts`, v]],
  bun: (v) => [bin("bun"), [`${here}decode-run.ts`, v]],
};
const REPEATS = 3;

interface Result {
  variant: string;
  ms: number;
  MBps: number;
  peakGrowthMB: number;
  decodedMBps?: Record<string, number>;
}

const run = (runtime: string, variant: string): Result => {
  const [cmd, args] = (runtimes[runtime] as (v: string) => [string, string[]])(variant);
  const out = execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").at(-1) as string) as Result;
};

const bunVersion = execFileSync(bin("bun"), ["--version"], { encoding: "utf8" }).trim();
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}, bun ${bunVersion}`,
);
console.log(`best time and the range of peak RSS growth over ${REPEATS} runs per variant\n`);
console.log("| runtime | variant | time | MB/s of JSON | peak RSS growth |");
console.log("|---|---|---:|---:|---:|");
const throughput: string[] = [];
for (const runtime of Object.keys(runtimes)) {
  for (const variant of ["drain", "stream", "stream-gc", "stream-sink", "naive"]) {
    const rs = Array.from({ length: REPEATS }, () => run(runtime, variant));
    const best = rs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const peaks = rs.map((r) => r.peakGrowthMB);
    console.log(
      `| ${runtime} | ${variant} | ${best.ms} ms | ${best.MBps} | ${Math.min(...peaks)}-${Math.max(...peaks)} MB |`,
    );
  }
  // every decoder against Buffer.from measured in the same process, one process per repeat
  const rs = Array.from({ length: REPEATS }, () => run(runtime, "throughput").decodedMBps ?? {});
  const range = (xs: number[]) => `${Math.min(...xs)}-${Math.max(...xs)}`;
  for (const name of Object.keys(rs[0] ?? {})) {
    const mbps = rs.map((r) => r[name] as number);
    const share = rs.map((r) => Math.round(((r[name] as number) / (r["Buffer.from(s, 'base64')"] as number)) * 100));
    throughput.push(`| ${runtime} | ${name} | ${range(mbps)} | ${range(share)}% |`);
  }
}
console.log(
  `\nbase64 decode throughput, MB/s of base64 input (best of 7 rounds of 10 images, ${REPEATS} processes):\n`,
);
console.log("| runtime | decoder | MB/s | of Buffer.from in the same process |");
console.log("|---|---|---:|---:|");
for (const line of throughput) console.log(line);
