import { describe, expect, it } from "vitest";
import { slackPlainText, withoutAddress } from "./text.ts";

describe("slackPlainText", () => {
  it.each([
    ["a user group with its handle", "ask <!subteam^S0614TZR7|@design> for a logo", "ask @design for a logo"],
    ["a user group whose label has no @", "ask <!subteam^S0614TZR7|design> now", "ask @design now"],
    ["a user group without a label", "ask <!subteam^S0614TZR7> now", "ask   now"],
    ["a user with a name", "a portrait of <@U024BE7LH|bob>", "a portrait of @bob"],
    ["a user with an @name", "a portrait of <@U024BE7LH|@bob>", "a portrait of @bob"],
    ["a user without a name", "a portrait of <@U024BE7LH>", "a portrait of  "],
    ["@here, @channel, @everyone", "<!here> <!channel> <!everyone|@everyone>", "@here @channel @everyone"],
    [
      "a date as its fallback text",
      "a poster for <!date^1392734382^{date} at {time}^https://example.com|Feb 18, 2014 at 6:39 AM PST>",
      "a poster for Feb 18, 2014 at 6:39 AM PST",
    ],
    ["a channel with a name", "the logo of <#C024BE7LR|general>", "the logo of #general"],
    ["a channel with an empty name", "the logo of <#C024BE7LR|>", "the logo of #C024BE7LR"],
    ["a channel without a name", "the logo of <#C024BE7LR>", "the logo of #C024BE7LR"],
    ["a link with a label", "like <https://shop.example|the shop>", "like the shop"],
    ["a bare link", "like <https://shop.example/a?b=1&amp;c=2>", "like https://shop.example/a?b=1&c=2"],
    ["a mail link", "to <mailto:bob@example.com|bob@example.com>", "to bob@example.com"],
    ["escaped characters, decoded once", "&lt;SALE&gt; &amp; &amp;lt;more&amp;gt;", "<SALE> & &lt;more&gt;"],
  ])("%s", (_name, markup, plain) => {
    expect(slackPlainText(markup)).toBe(plain);
  });
});

describe("withoutAddress", () => {
  it.each([
    ["<@UBOT> a cat", " a cat"],
    ["<@UBOT|gptimg> a cat with <@U2|bob>", " a cat with <@U2|bob>"],
    [" <@UBOT> <@UOTHER> a cat", " a cat"],
    ["a cat for <@U2>", "a cat for <@U2>"],
  ])("%j → %j", (text, out) => {
    expect(withoutAddress(text)).toBe(out);
  });
});
