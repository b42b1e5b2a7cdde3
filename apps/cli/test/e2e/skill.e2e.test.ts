import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SKILL_DIRS } from "../../src/skill/dirs.ts";
import { type FakeWorker, startFakeWorker } from "../fake-worker.ts";
import { CANARY, envelope, filesContaining, run, tmp } from "../helpers.ts";

const SKILL = join(import.meta.dirname, "../../../../skills/gptimg");
const TOKEN = "team_canary_token_skill";
const EXAMPLE_ENDPOINT = "https://images.example.com";

/** `a "b c" d` → ["a", "b c", "d"]: the shell words of one documented command (double quotes only). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

/** Every `gptimg …` line of the ```sh blocks in the skill and its references. */
function documentedCommands(): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const file of ["SKILL.md", "references/sizes.md", "references/options.md"]) {
    const text = readFileSync(join(SKILL, file), "utf8");
    for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const line of block[1]!.split("\n")) if (line.startsWith("gptimg ")) out.push({ file, line });
    }
  }
  return out;
}

/** The YAML front matter, parsed by an outside parser (PyYAML), and the body. */
function frontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error("SKILL.md has no front matter");
  const json = execFileSync("python3", ["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], {
    input: m[1],
    encoding: "utf8",
  });
  return { meta: JSON.parse(json), body: m[2]! };
}

let provider: OfflineProvider;
let worker: FakeWorker;
let home: string;
let dir: string;

async function png(name: string, w: number, h: number, alpha = false): Promise<void> {
  const buf = await sharp({
    create: { width: w, height: h, channels: alpha ? 4 : 3, background: { r: 40, g: 90, b: 160, alpha: 0 } },
  })
    .png()
    .toBuffer();
  writeFileSync(join(dir, name), buf);
}

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
  worker = await startFakeWorker({
    token: TOKEN,
    adminToken: "admin_skill",
    providerUrl: provider.url,
    providerKey: CANARY,
  });
  home = tmp("gptimg-skill-home-");
  dir = tmp("gptimg-skill-cwd-");
  for (const name of ["dog.png", "face.png", "pose.png", "photo.png"]) await png(name, 1024, 1024);
  await png("mask.png", 1024, 1024, true);
  writeFileSync(
    join(dir, "prompts.jsonl"),
    `${JSON.stringify({ prompt: "a red kite", size: "square", quality: "low" })}\n${JSON.stringify({ prompt: "put a hat on the dog", image: "dog.png" })}\n`,
  );
  // an older image skill's config, for `gptimg login --import`
  mkdirSync(join(home, ".config/gpt-image-2-apikey"), { recursive: true });
  writeFileSync(
    join(home, ".config/gpt-image-2-apikey/config.json"),
    JSON.stringify({ api_key: CANARY, base_url: provider.url, model: "gpt-image-2" }),
  );
});
afterAll(async () => {
  await worker.close();
  await provider.close();
});

describe("the gptimg skill", () => {
  it("follows the Agent Skills format: name, a description with the trigger phrases, OpenClaw metadata, a short body", () => {
    const text = readFileSync(join(SKILL, "SKILL.md"), "utf8");
    const { meta, body } = frontMatter(text);
    expect(meta.name).toBe("gptimg");
    expect(meta.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const description = String(meta.description);
    expect(description.length).toBeLessThanOrEqual(1024);
    for (const phrase of ["高质量生图:", "编辑图片:", "best image:", "edit image:", "edit", "generate"]) {
      expect(description).toContain(phrase);
    }
    const openclaw = (meta.metadata as { openclaw: { requires: { bins: string[] }; primaryEnv: string } }).openclaw;
    expect(openclaw.requires.bins).toEqual(["gptimg"]);
    expect(openclaw.primaryEnv).toBe("GPTIMG_API_KEY");
    // OpenClaw's parser reads single-line front matter keys only
    expect(text.split("\n").find((l) => l.startsWith("metadata:"))).toMatch(/^metadata: \{.*\}$/);
    expect(body.split("\n").length).toBeLessThan(500);
    for (const ref of body.matchAll(/\]\((references\/[^)]+)\)/g)) expect(existsSync(join(SKILL, ref[1]!))).toBe(true);
  });

  it("every command line in the skill runs against the offline provider and the team Worker, leaking no key", async () => {
    const commands = documentedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(12);
    const env = { HOME: home, GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: CANARY };
    const failures: string[] = [];
    let output = "";
    for (const { file, line } of commands) {
      const args = words(line)
        .slice(1)
        .map((w) => (w === EXAMPLE_ENDPOINT ? worker.url : w));
      const secret = args.includes("--endpoint") && args[0] === "login" ? TOKEN : CANARY;
      const r = await run(args, { env, cwd: dir, input: args[0] === "login" ? `${secret}\n` : undefined });
      output += r.stdout + r.stderr;
      if (r.code !== 0) failures.push(`${file}: ${line}\n  exit ${r.code}: ${r.stderr.trim()}`);
      else if (args.includes("--json") && args[0] !== "batch") {
        const e = envelope(r);
        if (e.ok === false) failures.push(`${file}: ${line}\n  ${r.stdout}`);
      }
    }
    expect(failures).toEqual([]);
    expect(output).not.toContain(CANARY);
    expect(output).not.toContain(TOKEN);
    expect(filesContaining(dir, CANARY)).toEqual([]);
    // the documented runs reached both routes
    expect(provider.count("/images/generations")).toBeGreaterThan(0);
    expect(provider.count("/images/edits")).toBeGreaterThan(0);
    expect(worker.keys.length).toBeGreaterThan(0);
  });

  it("section 1's doctor reading holds: a rejected key is a failing provider check with exitCode 3, which sends the agent to section 2", async () => {
    const text = readFileSync(join(SKILL, "SKILL.md"), "utf8");
    const section1 = text.slice(text.indexOf("## 1."), text.indexOf("## 2."));
    expect(section1).toContain('`provider` (or `endpoint`) check fails with `"exitCode": 3`');
    const env = { HOME: tmp(), GPTIMG_BASE_URL: provider.url, GPTIMG_API_KEY: "sk-wrong-key-for-doctor" };
    const direct = await run(["doctor", "--json"], { env, cwd: dir });
    expect(direct.code).toBe(3);
    const checks = JSON.parse(direct.stdout).checks as { name: string; status: string; exitCode?: number }[];
    expect(checks.find((c) => c.name === "key")).toMatchObject({ status: "ok" });
    expect(checks.find((c) => c.name === "provider")).toMatchObject({ status: "fail", exitCode: 3 });
    const viaWorker = await run(["doctor", "--json"], {
      env: { HOME: tmp(), GPTIMG_ENDPOINT: worker.url, GPTIMG_TOKEN: "team_wrong_token" },
      cwd: dir,
    });
    expect(viaWorker.code).toBe(3);
    const w = JSON.parse(viaWorker.stdout).checks as { name: string; status: string; exitCode?: number }[];
    expect(w.find((c) => c.name === "token")).toMatchObject({ status: "ok" });
    expect(w.find((c) => c.name === "endpoint")).toMatchObject({ status: "fail", exitCode: 3 });
  });

  it("skill show prints the skill the binary carries, the same as the repository's", async () => {
    const r = await run(["skill", "show"]);
    expect(r.code).toBe(0);
    expect(`${r.stdout}`).toBe(readFileSync(join(SKILL, "SKILL.md"), "utf8"));
    const sizes = await run(["skill", "show", "references/sizes.md"]);
    expect(sizes.stdout).toBe(readFileSync(join(SKILL, "references/sizes.md"), "utf8"));
    expect((await run(["skill", "show", "nope.md"])).code).toBe(2);
  });

  it.each(Object.entries(SKILL_DIRS))(
    "skill install --agent %s writes the user and the project folder, and keeps an edited copy without --force",
    async (agent, dirs) => {
      const h = tmp();
      const cwd = tmp();
      const user = await run(["skill", "install", "--agent", agent, "--json"], { env: { HOME: h }, cwd });
      expect(user.code).toBe(0);
      const target = join(h, dirs.user, "gptimg");
      expect(envelope(user)).toMatchObject({ ok: true, agent, path: target, status: "installed" });
      expect(readFileSync(join(target, "SKILL.md"), "utf8")).toBe(readFileSync(join(SKILL, "SKILL.md"), "utf8"));
      expect(existsSync(join(target, "references/options.md"))).toBe(true);
      const project = await run(["skill", "install", "--agent", agent, "--project"], { env: { HOME: h }, cwd });
      expect(project.stdout.trim()).toBe(join(cwd, dirs.project, "gptimg"));
      // again: nothing to do; after an edit: refused, then replaced with --force
      expect(
        envelope(await run(["skill", "install", "--agent", agent, "--json"], { env: { HOME: h }, cwd })).status,
      ).toBe("unchanged");
      writeFileSync(join(target, "SKILL.md"), "my own notes\n");
      const kept = await run(["skill", "install", "--agent", agent], { env: { HOME: h }, cwd });
      expect(kept.code).toBe(2);
      expect(kept.stderr).toContain("SKILL.md was edited since gptimg installed it");
      expect(readFileSync(join(target, "SKILL.md"), "utf8")).toBe("my own notes\n");
      const forced = await run(["skill", "install", "--agent", agent, "--force"], { env: { HOME: h }, cwd });
      expect(forced.code).toBe(0);
      expect(readFileSync(join(target, "SKILL.md"), "utf8")).toBe(readFileSync(join(SKILL, "SKILL.md"), "utf8"));
    },
  );

  it("skill install --dir DIR writes DIR/gptimg; a SKILL.md gptimg did not write is kept", async () => {
    const d = tmp();
    mkdirSync(join(d, "gptimg"));
    writeFileSync(join(d, "gptimg/SKILL.md"), "someone else's skill\n");
    const r = await run(["skill", "install", "--dir", d]);
    expect(r.code).toBe(2);
    expect(readFileSync(join(d, "gptimg/SKILL.md"), "utf8")).toBe("someone else's skill\n");
    expect((await run(["skill", "install", "--agent", "nope"])).stderr).toContain("--agent nope: must be one of");
  });
});
