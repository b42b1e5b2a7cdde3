/**
 * The CLI's flag parser against `node:util`'s `parseArgs` (strict, positionals allowed), which it
 * replaces at start-up: on the same command-line, the same values and positionals, and an error
 * where parseArgs has one.
 */
import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { FLAGS, type FlagName } from "./flags.ts";
import { parseCommandArgs } from "./parse.ts";
import { COMMANDS } from "./specs.ts";

/** What parseArgs makes of `args` with the options of `spec` (aliases as their own options). */
function reference(flags: FlagName[], args: string[]) {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const name of ["help", ...flags] as FlagName[]) {
    const def = FLAGS[name];
    const base = { type: def.type, ...(def.multiple ? { multiple: true } : {}) };
    options[name] = { ...base, ...(def.short ? { short: def.short } : {}) };
    for (const alias of def.aliases ?? []) options[alias] = base;
  }
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  return { values: { ...values }, positionals };
}

const generate = COMMANDS.find((c) => c.name === "generate");
if (!generate) throw new Error("no generate command");

describe("parseCommandArgs, as parseArgs parses", () => {
  it.each<string[]>([
    ["a", "lighthouse", "--size", "1024x1024", "-q", "high"],
    ["--prompt=a cat", "-n", "2", "--dry-run", "--json"],
    ["-n2", "-s", "2k", "x"],
    ["x", "--size", "1k", "--size", "2k"],
    ["x", "--out", "-", "--extra", "a=1", "--extra", "b=2"],
    ["x", "--", "--size", "-q", "-"],
    ["-", "x", "--prompt="],
    ["x", "-h"],
    ["x", "--extra=k=v", "--extra-json", "{}"],
  ])("%j", (...args) => {
    const { values, positionals } = parseCommandArgs(generate, args);
    expect({ values, positionals }).toEqual(reference(generate.flags, args));
  });

  it.each<[string[], RegExp]>([
    [["x", "--nope"], /^generate: unknown flag --nope \(see gptimg help\)$/],
    [["x", "--sise", "2k"], /unknown flag --sise; did you mean --size\?/],
    [["x", "--sise=2k"], /unknown flag --sise; did you mean --size\?/],
    [["x", "-Z"], /unknown flag -Z \(see gptimg help\)/],
    [["x", "-s"], /flag --size needs a value \(to pass one starting with -, write --size=VALUE\)/],
    [["x", "--size", "--json"], /flag --size needs a value/],
    [["x", "-n", "-1"], /flag --n needs a value/],
    [["x", "--force=yes"], /flag --force does not take a value/],
  ])("%j is refused", (args, message) => {
    expect(() => reference(generate.flags, args)).toThrow();
    expect(() => parseCommandArgs(generate, args)).toThrow(message);
  });

  it("folds aliases into the flag's name; a repeatable flag keeps every spelling's values in order", () => {
    const edit = COMMANDS.find((c) => c.name === "edit");
    if (!edit) throw new Error("no edit command");
    const parsed = parseCommandArgs(edit, ["x", "-i", "a.png", "--input", "b.png", "--edit-image", "c.png", "-ijpg"]);
    expect(parsed.values.image).toEqual(["a.png", "b.png", "c.png", "jpg"]);
    // each value's spelling is kept, so a message names the input as it was typed
    expect(parsed.typedAs.image).toEqual(["-i", "--input", "--edit-image", "-i"]);
    expect(parseCommandArgs(generate, ["x", "--output-format", "webp"]).values).toEqual({ format: "webp" });
    expect(() => parseCommandArgs(generate, ["x", "--output-format", "webp", "--format", "png"])).toThrow(
      "generate: --output-format and --format are the same flag: give one",
    );
  });
});

describe("parseCommandArgs refuses a word past those the command takes", () => {
  /** every command and subcommand with its words filled in, then one word too many */
  const cases = COMMANDS.flatMap((spec) =>
    Object.entries(spec.words ?? { "": [] })
      .filter(([, takes]) => !takes.some((w) => w.includes("...")))
      .map(([path, takes]) => {
        const words = [
          ...(path === "" ? [] : path.split(" ")),
          ...takes.map((w) => w.replace(/[[\]]/g, "").toLowerCase()),
        ];
        return [spec, words] as const;
      }),
  );

  it.each(cases.map(([spec, words]) => [`${spec.name} ${words.join(" ")}`.trim(), spec, words] as const))(
    "%s takes them all, and refuses one more",
    (_, spec, words) => {
      expect(parseCommandArgs(spec, [...words, "--help"]).positionals).toEqual(words);
      expect(() => parseCommandArgs(spec, [...words, "foo"])).toThrow(`: unexpected word "foo"; usage: ${spec.usage}`);
    },
  );

  const admin = COMMANDS.find((c) => c.name === "admin");
  if (!admin) throw new Error("no admin command");
  it.each([
    [["token", "list", "foo"], 'admin token list: unexpected word "foo"'],
    [["usage", "foo"], 'admin usage: unexpected word "foo"'],
    [["token", "revoke", "tok_1", "foo"], 'admin token revoke: unexpected word "foo"'],
  ])("admin %j names the subcommand and the word", (args, message) => {
    expect(() => parseCommandArgs(admin, args)).toThrow(`${message}; usage: ${admin.usage}`);
  });

  it("leaves an unknown or missing subcommand to the command, and takes any number of prompt words", () => {
    expect(parseCommandArgs(admin, ["tokens", "list", "foo"]).positionals).toEqual(["tokens", "list", "foo"]);
    expect(parseCommandArgs(admin, []).positionals).toEqual([]);
    expect(parseCommandArgs(generate, ["a", "b", "c", "d"]).positionals).toEqual(["a", "b", "c", "d"]);
  });
});
