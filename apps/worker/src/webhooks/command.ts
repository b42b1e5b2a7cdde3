/**
 * Chat text → an image command. Understands `/image …`, the trigger phrases
 * `高质量生图:` / `best image:` (generate) and `编辑图片:` / `edit image:` (edit), with a
 * half- or full-width colon, and options written anywhere as `key=value`
 * (`size=16:9 quality=high n=2 format=webp`).
 */
import type { ValidationIssue } from "@gptimg/core";
import { CHAT_OPTION_KEYS, type ChatOptions, validateChatOptions } from "./options.ts";

export type CommandKind = "generate" | "edit";

/** A parsed, validated chat command. */
export interface ChatCommand {
  kind: CommandKind;
  prompt: string;
  options: ChatOptions;
}

export type ParsedCommand =
  | { ok: true; command: ChatCommand }
  /** the text is a command but something in it is invalid */
  | { ok: false; issues: ValidationIssue[] }
  /** the text is not addressed to the bot */
  | { ok: false; issues?: undefined };

const TRIGGERS: { re: RegExp; kind: CommandKind }[] = [
  { re: /^(?:高质量生图|best\s+image)\s*[:：]/iu, kind: "generate" },
  { re: /^(?:编辑图片|edit\s+image)\s*[:：]/iu, kind: "edit" },
];
/** `/image`, `/image@SomeBot` (Telegram groups), `/image:`; the command name is case-insensitive. */
const SLASH = /^\/image(?:@[A-Za-z0-9_]+)?(?=$|[\s:：])[:：]?/iu;
/** Only these keys are lifted out of the text; anything else stays in the prompt. */
const OPTION = new RegExp(`(?<=^|\\s)(${CHAT_OPTION_KEYS.join("|")})\\s*[=＝]\\s*(\\S+)`, "giu");

/**
 * Parses chat text. `explicit` is true where the platform already told us the text is for the
 * bot (a slash command's text, a mention): then no trigger is needed and the kind comes from
 * whether images are attached. Otherwise the text must start with `/image` or a trigger phrase.
 * @example parseCommand("best image: a lighthouse size=16:9", { explicit: false, hasImages: false })
 */
export const parseCommand = (
  text: string,
  ctx: { explicit: boolean; hasImages: boolean; model?: string | undefined; skipModelRules?: boolean | undefined },
): ParsedCommand => {
  let rest = text.replace(/^\s+/u, "");
  let kind: CommandKind | undefined;
  let addressed = ctx.explicit;
  const slash = SLASH.exec(rest);
  if (slash) {
    rest = rest.slice(slash[0].length).replace(/^\s+/u, "");
    addressed = true;
  }
  for (const t of TRIGGERS) {
    const m = t.re.exec(rest);
    if (m) {
      rest = rest.slice(m[0].length);
      kind = t.kind;
      addressed = true;
      break;
    }
  }
  if (!addressed) return { ok: false };
  kind ??= ctx.hasImages ? "edit" : "generate";

  const raw: Record<string, string> = {};
  const prompt = rest
    .replace(OPTION, (_all, key: string, value: string) => {
      raw[key.toLowerCase()] = value;
      return "";
    })
    .replace(/\s+/gu, " ")
    .trim();

  const issues: ValidationIssue[] = [];
  if (!prompt)
    issues.push({ field: "prompt", value: prompt, rule: "must not be empty: write what to draw after the command" });
  if (kind === "edit" && !ctx.hasImages) {
    issues.push({
      field: "image",
      value: undefined,
      rule: "an edit needs an attached image (send a picture with the command as its caption)",
    });
  }
  const { options, issues: optionIssues } = validateChatOptions(raw, prompt, kind, ctx);
  issues.push(...optionIssues);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, command: { kind, prompt, options } };
};
