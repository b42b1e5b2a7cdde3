import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CliError, usageError } from "../cli/errors.ts";
import { EXIT } from "../cli/exit-codes.ts";
import type { Io } from "../cli/io.ts";
import { flag, parseCommandArgs, str } from "../cli/parse.ts";
import { type Agent, SKILL_DIRS } from "../skill/dirs.ts";
import { SKILL_FILES } from "../skill/files.ts";
import { VERSION } from "../version.ts";
import type { CommandRun } from "./types.ts";

/** Beside the files: what was written, so an unedited copy can be updated and an edited one is kept. */
const MANIFEST = ".gptimg-skill.json";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

interface Manifest {
  version: string;
  files: Record<string, string>;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError("io", `${path}: cannot read it (${(e as Error).message})`, { exitCode: EXIT.usage });
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  const text = await readText(join(dir, MANIFEST));
  if (text === undefined) return undefined;
  try {
    const m = JSON.parse(text) as Manifest;
    return typeof m.files === "object" && m.files !== null ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Writes one file through a temp file and a rename, so an agent never reads half a skill. */
async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError("io", `${path}: cannot write it (${(e as Error).message})`, { exitCode: EXIT.usage });
  }
}

function targetDir(io: Io, agent: Agent, project: boolean, dir: string | undefined): string {
  if (dir !== undefined) return join(resolve(io.cwd, dir), "gptimg");
  const base = project ? io.cwd : io.env.HOME || io.env.USERPROFILE || homedir();
  return join(base, project ? SKILL_DIRS[agent].project : SKILL_DIRS[agent].user, "gptimg");
}

async function install(io: Io, values: ReturnType<typeof parseCommandArgs>["values"]): Promise<number> {
  const agent = (str(values, "agent") ?? "claude") as Agent;
  if (!Object.hasOwn(SKILL_DIRS, agent)) {
    throw usageError(`--agent ${agent}: must be one of ${Object.keys(SKILL_DIRS).join(", ")}`);
  }
  const dir = targetDir(io, agent, flag(values, "project"), str(values, "dir"));
  const force = flag(values, "force");
  const manifest = await readManifest(dir);
  const edited: string[] = [];
  const changed: string[] = [];
  for (const [name, text] of Object.entries(SKILL_FILES)) {
    const current = await readText(join(dir, name));
    if (current === text) continue;
    changed.push(name);
    // a file we did not write, or one changed since we wrote it, is the user's
    if (current !== undefined && manifest?.files[name] !== sha256(current)) edited.push(name);
  }
  if (edited.length > 0 && !force) {
    throw new CliError(
      "usage",
      `${dir}: ${edited.join(", ")} ${edited.length > 1 ? "were" : "was"} edited since gptimg installed ${edited.length > 1 ? "them" : "it"}; kept as it is (pass --force to replace with this version's skill)`,
      { exitCode: EXIT.usage },
    );
  }
  for (const name of changed) await writeAtomic(join(dir, name), SKILL_FILES[name]!);
  const files = Object.fromEntries(Object.entries(SKILL_FILES).map(([n, t]) => [n, sha256(t)]));
  if (changed.length > 0 || manifest?.version !== VERSION) {
    await writeAtomic(join(dir, MANIFEST), `${JSON.stringify({ version: VERSION, files }, null, 2)}\n`);
  }
  const status = changed.length === 0 ? "unchanged" : manifest || edited.length > 0 ? "updated" : "installed";
  if (flag(values, "json")) io.out(JSON.stringify({ ok: true, agent, path: dir, status, files: Object.keys(files) }));
  else {
    io.out(dir);
    io.err(
      status === "unchanged"
        ? `the gptimg skill in ${dir} is already this version`
        : `${status} the gptimg skill for ${agent} in ${dir} (${changed.join(", ")})`,
    );
  }
  return EXIT.ok;
}

/** `gptimg skill show [FILE]` prints the skill built into this binary; `install` writes it for an agent. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const [sub, file] = positionals;
  if (sub === "show") {
    const name = file ?? "SKILL.md";
    const text = SKILL_FILES[name];
    if (text === undefined) throw usageError(`skill show ${name}: one of ${Object.keys(SKILL_FILES).join(", ")}`);
    io.out(text.replace(/\n$/, ""));
    return EXIT.ok;
  }
  if (sub === "install") return install(io, values);
  throw usageError(`skill ${sub ?? ""}: choose show or install`);
};
