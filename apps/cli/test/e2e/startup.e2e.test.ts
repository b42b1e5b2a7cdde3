import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFlags } from "../../scripts/build.ts";
import { BIN, BUN, ROOT, tmp } from "../helpers.ts";

const work = tmp("gptimg-startup-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The modules the entry chunk loads before any command runs: itself and its static imports, transitively. */
function startupClosure(dir: string, entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = readFileSync(join(dir, file), "utf8");
    seen.set(file, text);
    // static imports only (`import{a}from"./x.js"`, `import"./x.js"`); import("...") is lazy
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*"(\.\/[^"]+)"/g)) visit(m[1]!.slice(2));
  };
  visit(entry);
  return seen;
}

describe("start-up: --version loads only what a hello world does", () => {
  it("the entry's static closure is small and imports no builtin that starts threads", () => {
    const out = join(work, "bundle");
    execFileSync(
      BUN,
      ["build", "--format=esm", "--splitting", "--target=bun", "--minify", join(ROOT, "src/main.ts"), "--outdir", out],
      {
        stdio: "ignore",
      },
    );
    const closure = startupClosure(out, "main.js");
    const text = [...closure.values()].join("\n");
    // node:fs, node:crypto, node:util and node:tty each start JavaScriptCore JIT threads when
    // imported (touching process.stdout/stderr, which builds Node streams, is caught by the
    // strace test below: the closure may name them in code that only runs later)
    for (const name of ["fs", "crypto", "util", "tty"]) {
      expect(text, `node:${name} is imported at start-up`).not.toMatch(new RegExp(`(from|import)\\s*"node:${name}"`));
    }
    // neither core nor the flag table is loaded before the command is known
    expect(text).not.toMatch(/createImageClient|Base64StreamDecoder|prompt-file/);
    expect(text.length).toBeLessThan(8_000);
  });

  it.skipIf(spawnSync("strace", ["-V"]).status !== 0)(
    "the compiled binary starts no thread for --version, like a compiled hello world (strace)",
    () => {
      writeFileSync(join(work, "hello.ts"), 'console.log("hello");\n');
      execFileSync(BUN, ["build", ...compileFlags, join(work, "hello.ts"), "--outfile", join(work, "hello")], {
        stdio: "ignore",
      });
      const threads = (cmd: string, args: string[]): number => {
        const log = join(work, "strace.log");
        spawnSync("strace", ["-f", "-e", "trace=clone,clone3", "-o", log, cmd, ...args], { stdio: "ignore" });
        return readFileSync(log, "utf8")
          .split("\n")
          .filter((l) => /\bclone3?\(/.test(l)).length;
      };
      expect(threads(join(work, "hello"), [])).toBe(0);
      expect(threads(BIN, ["--version"])).toBe(0);
    },
  );
});
