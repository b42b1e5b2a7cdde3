/**
 * Slack's message markup as the plain text a user typed.
 * https://api.slack.com/reference/surfaces/formatting#retrieving-messages
 */

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">" };

/** `name` as a mention reads: `@name`, with one `@` whether or not the label carried it. */
const at = (name: string): string => `@${name.replace(/^@/, "")}`;

/**
 * One `<…>` form as its text: `<@U1|bob>` → `@bob`, `<@U1>` (no name to show) dropped;
 * `<!subteam^S1|@team>` → `@team`, `<!subteam^S1>` dropped; `<!here>`, `<!channel>`,
 * `<!everyone>` → `@here` …; `<!date^…|fallback>` → its fallback text; `<#C1|general>` →
 * `#general`, `<#C1>` → `#C1`; a link → its label, else the URL.
 */
const special = (inner: string): string => {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? "" : inner.slice(bar + 1);
  if (target.startsWith("@")) return label ? at(label) : " ";
  if (target.startsWith("#")) return `#${label.replace(/^#/, "") || target.slice(1)}`;
  if (target.startsWith("!")) {
    const command = target.slice(1).split("^")[0] ?? "";
    if (command === "subteam") return label ? at(label) : " ";
    if (command === "date") return label;
    return at(label || command);
  }
  return label || target;
};

/**
 * Slack's markup as the plain text a user typed: each `<…>` form as its text (see `special`),
 * and the three characters Slack escapes in every text it sends (`&amp;` `&lt;` `&gt;`) decoded
 * after, in one pass, so a prompt with `&` or `<SALE>` reaches the provider as written.
 * https://api.slack.com/reference/surfaces/formatting#escaping
 * @example slackPlainText("ask <!subteam^S1|@design> &amp; <@U2|bob>") // "ask @design & @bob"
 */
export const slackPlainText = (text: string): string =>
  text
    .replace(/<([^<>]*)>/g, (_all, inner: string) => special(inner))
    .replace(/&(amp|lt|gt);/g, (_all, name: string) => ENTITIES[name] ?? "");

/** A mention's text without the mentions it starts with, which address the bot (`<@UBOT> a cat` → ` a cat`). */
export const withoutAddress = (text: string): string => text.replace(/^(?:\s*<@[A-Z0-9]+(?:\|[^<>]*)?>)+/, "");
