import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFlags } from "../../scripts/build.ts";
import { BIN, BUN, ROOT, tmp } from "../helpers.ts";

const work = tmp("gptimg-startup-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `bun build --metafile` output: each chunk's static and dynamic imports and the modules it holds. */
interface Metafile {
  outputs: Record<
    string,
    { entryPoint?: string; imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }
  >;
}

const out = join(work, "bundle");
let meta: Metafile | undefined;
/** The entry bundled as the binary bundles it (ESM, code splitting, macros run), once. */
function bundle(): Metafile {
  if (meta) return meta;
  execFileSync(
    BUN,
    [
      "build",
      "--format=esm",
      "--splitting",
      "--target=bun",
      "--minify",
      join(ROOT, "src/main.ts"),
      "--outdir",
      out,
      `--metafile=${join(work, "meta.json")}`,
    ],
    { stdio: "ignore" },
  );
  meta = JSON.parse(readFileSync(join(work, "meta.json"), "utf8")) as Metafile;
  return meta;
}

/**
 * What starting from the chunks of `entries` (source paths, e.g. "src/main.ts") evaluates
 * before any further `import()`: those chunks and their static imports, transitively, with the
 * source modules they hold and their text.
 */
function closure(entries: string[]): { modules: string[]; text: string } {
  const m = bundle();
  const chunks = new Set<string>();
  const visit = (chunk: string): void => {
    if (chunks.has(chunk)) return;
    chunks.add(chunk);
    for (const i of m.outputs[chunk]?.imports ?? []) if (i.kind === "import-statement") visit(i.path);
  };
  for (const entry of entries) {
    const chunk = Object.entries(m.outputs).find(([, o]) => o.entryPoint === entry)?.[0];
    if (!chunk) throw new Error(`no chunk for ${entry}`);
    visit(chunk);
  }
  return {
    modules: [...chunks].flatMap((c) => Object.keys(m.outputs[c]?.inputs ?? {})),
    text: [...chunks].map((c) => readFileSync(join(out, c), "utf8")).join("\n"),
  };
}

/**
 * A static import of a Node builtin in bundled text: the bundler writes `node:fs` as `"fs"`, so
 * both spellings are matched (`import{x as y}from"fs"`, `import"fs"`).
 */
const builtinImport = (name: string): RegExp => new RegExp(`(from|import)\\s*"(node:)?${name.replace("/", "\\/")}"`);

describe("start-up: --version loads only what a hello world does", () => {
  it("the entry's static closure is small and imports no builtin that starts threads", () => {
    const { modules, text } = closure(["src/main.ts"]);
    // node:fs, node:crypto, node:util and node:tty each start JavaScriptCore JIT threads when
    // imported (touching process.stdout/stderr, which builds Node streams, is caught by the
    // strace test below: the closure may name them in code that only runs later)
    for (const name of ["fs", "crypto", "util", "tty"]) {
      expect(text, `node:${name} is imported at start-up`).not.toMatch(builtinImport(name));
    }
    // neither core nor the flag table is loaded before the command is known
    expect(modules.filter((f) => f.includes("packages/core/") && !f.endsWith("/redact.ts"))).toEqual([]);
    expect(modules).not.toContain("src/cli/flags.ts");
    expect(text.length).toBeLessThan(8_000);
  });

  it("--help lists the commands without loading their specs, the flag table or core", () => {
    const { modules, text } = closure(["src/main.ts", "src/cli/main-help.ts"]);
    expect(modules).toContain("src/cli/summaries.ts");
    expect(modules.filter((f) => f === "src/cli/specs.ts" || f === "src/cli/flags.ts")).toEqual([]);
    expect(modules.filter((f) => f.includes("packages/core/") && !f.endsWith("/redact.ts"))).toEqual([]);
    expect(text.length).toBeLessThan(10_000);
  });

  it("a command's help loads the flag table as a literal built with the binary, and no core", () => {
    const { modules, text } = closure(["src/main.ts", "src/cli/help.ts", "src/cli/specs.ts"]);
    expect(modules).toContain("src/cli/flags.ts");
    // core's option table is read when the binary is built (cli/core-tables.ts is a macro)
    expect(modules.filter((f) => f.includes("packages/core/") && !f.endsWith("/redact.ts"))).toEqual([]);
    expect(modules).not.toContain("src/cli/core-tables.ts");
    expect(text).toContain('"input-fidelity":{');
  });

  it("a dry-run loads nothing that sends a request, decodes an answer or writes a file, nor node:fs", () => {
    const { modules, text } = closure(["src/main.ts", "src/cli/specs.ts", "src/commands/generate.ts"]);
    expect(modules).toEqual(expect.arrayContaining(["src/run/execute.ts", "src/run/dry-run.ts"]));
    // node:fs (and node:fs/promises, whose first call starts Bun's thread pool) load only when
    // there is a config file, a ./.env or a prompt file to read (config/present.ts)
    // (the matcher does see the bundler's spelling: node:path, which the config path needs, is there)
    expect(text).toMatch(builtinImport("path"));
    expect(text).not.toMatch(builtinImport("fs"));
    expect(text).not.toMatch(builtinImport("fs/promises"));
    // node:os (the home directory) is fetched only when HOME is unset
    expect(text).not.toMatch(builtinImport("os"));
    expect(modules).not.toContain("src/config/store.ts");
    // the run itself is imported (run/send.ts) only once a request is to be sent
    const sending = [
      "src/run/send.ts",
      "src/run/direct.ts",
      "src/run/saver.ts",
      "src/run/worker-route.ts",
      "src/worker/jobs-client.ts",
      "src/files/write.ts",
      "src/files/claim.ts",
      "src/run/inputs.ts",
      "src/cost.ts",
    ];
    expect(modules.filter((f) => sending.includes(f))).toEqual([]);
    // the help text, imported only when help is printed
    expect(modules.filter((f) => f === "src/cli/help.ts" || f === "src/cli/settings-table.ts")).toEqual([]);
    // core's client and its response decoders (chat answers included)
    const decoding = [
      "client.ts",
      "decode-response.ts",
      "read-images.ts",
      "sse.ts",
      "json-scan.ts",
      "base64-sink.ts",
      "chat.ts",
      "response-fields.ts",
    ];
    expect(modules.filter((f) => decoding.some((d) => f.endsWith(`/core/src/${d}`)))).toEqual([]);
  });

  it.skipIf(spawnSync("strace", ["-V"]).status !== 0)(
    "the compiled binary starts no thread for --version or --help, like a compiled hello world (strace)",
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
      expect(threads(BIN, ["--help"])).toBe(0);
    },
  );

  it.skipIf(spawnSync("strace", ["-V"]).status !== 0)(
    "a dry-run without a config file or ./.env starts no JIT compiler thread and no file-system thread pool (strace)",
    () => {
      const home = tmp("gptimg-startup-home-");
      const log = join(work, "strace-names.log");
      const r = spawnSync(
        "strace",
        ["-f", "-e", "trace=prctl", "-o", log, BIN, "generate", "a lighthouse", "--dry-run", "--api-key", "k-1234"],
        { cwd: home, env: { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config") } },
      );
      rmSync(home, { recursive: true, force: true });
      expect(r.status).toBe(0);
      // thread names as set with PR_SET_NAME: JavaScriptCore's JIT compiles on "JITWorker"
      // (core's option table walked once per operation keeps validation from getting hot enough),
      // Bun's file-system calls run on "Bun Pool N" (node:fs/promises is not called)
      const names = [...readFileSync(log, "utf8").matchAll(/PR_SET_NAME, "([^"]*)"/g)].map((m) => m[1]);
      expect(names.filter((n) => n === "JITWorker" || n?.startsWith("Bun Pool"))).toEqual([]);
    },
  );
});
