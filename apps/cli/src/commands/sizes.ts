import { isValidationError, resolveSize, SIZE_ALIASES, SIZE_PRESETS } from "@gptimg/core";
import { EXIT } from "../cli/exit-codes.ts";
import { parseCommandArgs, str } from "../cli/parse.ts";
import type { CommandRun } from "./types.ts";

const RATIOS = ["1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9"];

/** `gptimg sizes [SIZE]`: the list, or whether one size is legal and what to use instead. */
export const run: CommandRun = async (args, io, spec) => {
  const { values, positionals } = parseCommandArgs(spec, args);
  const model = str(values, "model");
  const json = values.json === true;
  const input = positionals[0];
  if (input === undefined) {
    const ratios = Object.fromEntries(RATIOS.map((r) => [r, resolveSize(r, model).size]));
    if (json) {
      io.out(JSON.stringify({ ok: true, presets: SIZE_PRESETS, aliases: SIZE_ALIASES, ratios }));
      return EXIT.ok;
    }
    io.out("presets:");
    for (const p of SIZE_PRESETS) io.out(`  ${p}`);
    io.out("aliases:");
    for (const [a, s] of Object.entries(SIZE_ALIASES)) io.out(`  ${a.padEnd(14)}${s}`);
    io.out("ratios (examples; any W:H up to 3:1):");
    for (const [r, s] of Object.entries(ratios)) io.out(`  ${r.padEnd(14)}${s}`);
    io.out("custom WxH: both sides multiples of 16, long side <= 3840, ratio <= 3:1, 655,360 to 8,294,400 pixels");
    return EXIT.ok;
  }
  try {
    const r = resolveSize(input, model);
    if (json) io.out(JSON.stringify({ ok: true, input, legal: true, ...r }));
    else
      io.out(r.size === input ? `${input}: legal (${r.source})` : `${input}: legal, sent as ${r.size} (${r.source})`);
    return EXIT.ok;
  } catch (e) {
    if (!isValidationError(e)) throw e;
    const nearest = e.issues.find((i) => i.suggestion)?.suggestion ?? null;
    if (json) {
      io.out(JSON.stringify({ ok: false, input, legal: false, reasons: e.issues.map((i) => i.rule), nearest }));
    } else {
      io.out(`${input}: not legal`);
      for (const i of e.issues) io.out(`  - ${i.rule}`);
      if (nearest) io.out(`nearest legal: ${nearest}`);
    }
    return EXIT.usage;
  }
};
