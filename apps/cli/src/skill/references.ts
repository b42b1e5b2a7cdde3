import { IMAGE_OPTION_LIST, type ImageOption, resolveSize, SIZE_ALIASES, SIZE_PRESETS } from "@gptimg/core";
import { FLAGS, type FlagName } from "../cli/flags.ts";
import { findCommand } from "../cli/specs.ts";

/**
 * The skill's long tables, generated from core's size and option tables and the CLI's flag
 * table, so they cannot drift: `scripts/skill-references.ts` writes them to
 * skills/gptimg/references/ and a test checks the files on disk match.
 */

const RATIOS = ["1:1", "5:4", "4:5", "4:3", "3:4", "3:2", "2:3", "16:10", "16:9", "9:16", "2:1", "21:9", "3:1", "1:3"];

const cell = (s: string): string => s.replace(/\|/g, "\\|");

/** references/sizes.md */
export function sizesMarkdown(): string {
  const lines = [
    "# Sizes (gpt-image-2)",
    "",
    "Generated from gptimg's size table; `gptimg sizes [SIZE] --json` answers the same at run time.",
    "Pass any of these to `-s`/`--size`. `auto` lets the model choose.",
    "",
    "## Presets",
    "",
    "| size | pixels |",
    "|---|---|",
    ...SIZE_PRESETS.map((p) => {
      const [w, h] = p.split("x").map(Number) as [number, number];
      return `| ${p} | ${(w * h).toLocaleString("en-US")} |`;
    }),
    "",
    "## Aliases",
    "",
    "| alias | size |",
    "|---|---|",
    ...Object.entries(SIZE_ALIASES).map(([a, s]) => `| ${a} | ${s} |`),
    "",
    "## Ratios",
    "",
    "Any `W:H` up to 3:1 becomes the legal size nearest to about one megapixel with that shape:",
    "",
    "| ratio | size |",
    "|---|---|",
    ...RATIOS.map((r) => `| ${r} | ${resolveSize(r).size} |`),
    "",
    "## Custom sizes",
    "",
    "`WxH` is legal when both sides are multiples of 16, the long side is at most 3840, the long",
    "side is at most 3 times the short one, and the image has 655,360 to 8,294,400 pixels. An",
    "illegal size is refused before anything is sent (exit 2), naming the nearest legal size.",
    "",
  ];
  return lines.join("\n");
}

function values(o: ImageOption): string {
  if (o.type === "enum" && o.values) return o.values.join(", ");
  if (o.type === "integer") return `${o.min} to ${o.max}`;
  if (o.type === "boolean") return "on/off";
  if (o.type === "size") return "see sizes.md";
  if (o.type === "images") return `1 to ${o.max} files or URLs`;
  if (o.type === "image") return "PNG file, or auto";
  return "text";
}

function spelled(name: FlagName): string {
  const def = FLAGS[name];
  const long = [`--${name}`, ...(def.aliases ?? []).map((a) => `--${a}`)];
  return [...(def.short ? [`-${def.short}`] : []), ...long].map((f) => `\`${f}\``).join(", ");
}

/** references/options.md */
export function optionsMarkdown(): string {
  const image = IMAGE_OPTION_LIST.filter((o) => o.cli);
  const imageFlags = new Set(image.map((o) => o.cli?.flag));
  const generate = findCommand("generate")?.flags ?? [];
  const edit = findCommand("edit")?.flags ?? [];
  const own = [...new Set([...generate, ...edit])].filter((f) => !imageFlags.has(f));
  const lines = [
    "# Options of gptimg generate and gptimg edit",
    "",
    "Generated from gptimg's option and flag tables. The wire field is the name in the request",
    "body (OpenAI Images API). A model that does not take a field never gets it; a value the",
    "model does not accept is refused before sending (exit 2), naming the flag and the rule.",
    "",
    "## Image options",
    "",
    "| flag | wire field | values | applies to | meaning |",
    "|---|---|---|---|---|",
    ...image.map((o) => {
      const ops = o.operations.length === 2 ? "generate, edit" : o.operations.join(", ");
      return `| ${spelled(o.cli?.flag as FlagName)} | \`${o.wire}\` | ${cell(values(o))} | ${ops} | ${cell(o.help)} |`;
    }),
    "",
    "## Command options",
    "",
    "| flag | value | meaning |",
    "|---|---|---|",
    ...own.map((f) => {
      const def = FLAGS[f];
      const value = def.type === "string" ? (def.choices?.join(", ") ?? def.value ?? "VALUE") : "";
      return `| ${spelled(f)} | ${cell(value)} | ${cell(def.help)} |`;
    }),
    "",
    "Settings that come from the environment or the config file instead of flags: `gptimg help config`.",
    "",
  ];
  return lines.join("\n");
}

/** Every generated reference file, by its path under skills/gptimg/. */
export const REFERENCES: Readonly<Record<string, () => string>> = {
  "references/sizes.md": sizesMarkdown,
  "references/options.md": optionsMarkdown,
};
