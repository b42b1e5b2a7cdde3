import { FLAGS, type FlagDef } from "./flags.ts";
import { settingsText } from "./settings-table.ts";
import type { CommandSpec } from "./specs.ts";

function flagLine(name: string, def: FlagDef): string {
  const short = def.short ? `-${def.short}, ` : "    ";
  const value = def.type === "string" ? ` ${def.value ?? "VALUE"}` : "";
  const aliases = (def.aliases ?? []).map((a) => `, --${a}`).join("");
  return `  ${short}--${name}${aliases}${value}`;
}

/** Help for one command, built from its spec and the shared flag table. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`gptimg ${spec.name}: ${spec.summary}`, "", `usage: ${spec.usage}`];
  if (spec.flags.length > 0) {
    lines.push("", "flags:");
    const rows = [...spec.flags, "help" as const].map((n) => [flagLine(n, FLAGS[n]), FLAGS[n].help] as const);
    const width = Math.max(...rows.map(([l]) => l.length)) + 2;
    for (const [l, h] of rows) lines.push(`${l.padEnd(width)}${h}`);
  }
  if (spec.notes) lines.push("", ...spec.notes);
  if (spec.name === "config") lines.push("", ...settingsText());
  return lines.join("\n");
}
