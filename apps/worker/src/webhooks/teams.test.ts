import { describe, expect, it, vi } from "vitest";
import { captureConsole } from "../../test/gateway-support.ts";
import { PLATFORM_NAMES } from "./platforms.ts";
import { parseChatTeams, resolveChatMember } from "./teams.ts";

const teams = (raw: string | undefined) => ({ raw, platforms: PLATFORM_NAMES });

const TEAMS = JSON.stringify({
  "slack:T1": { team: "acme", member: "slack-bot" },
  "slack:T1:C9": { team: "design", perUser: true, dailyImageQuota: 5 },
  "telegram:-1001": { team: "acme" },
  "discord:user:42": { team: "solo", model: "gpt-image-1" },
});

describe("resolveChatMember", () => {
  it.each([
    ["slack", "T1", "C1", "U1", { team: "acme", member: "slack-bot", dailyImageQuota: null, key: "slack:T1" }],
    ["slack", "T1", "C9", "U1", { team: "design", member: "slack:U1", dailyImageQuota: 5, key: "slack:T1:C9" }],
    [
      "telegram",
      "-1001",
      undefined,
      "7",
      { team: "acme", member: "telegram-bot", dailyImageQuota: null, key: "telegram:-1001" },
    ],
    [
      "discord",
      "user:42",
      "c",
      "42",
      { team: "solo", member: "discord-bot", dailyImageQuota: null, model: "gpt-image-1", key: "discord:user:42" },
    ],
  ] as const)("%s %s %s %s → %j", (platform, scope, channel, user, expected) => {
    expect(resolveChatMember(teams(TEAMS), platform, scope, channel, user)).toEqual({
      model: undefined,
      skipModelRules: false,
      ...expected,
    });
  });

  it("every member carries the deployment's SKIP_MODEL_RULES", () => {
    const on = { ...teams(TEAMS), skipModelRules: true };
    expect(resolveChatMember(on, "slack", "T1", "C1", "U1")).toMatchObject({ team: "acme", skipModelRules: true });
  });

  it.each([
    ["slack", "T2", "C1"],
    ["discord", "T1", "C1"],
    ["telegram", "-1002", undefined],
    ["feishu", "tenant", "oc"],
  ] as const)("refuses %s %s, and logs the refusal", (platform, scope, channel) => {
    const log = captureConsole();
    try {
      expect(resolveChatMember(teams(TEAMS), platform, scope, channel, "U1")).toBeNull();
    } finally {
      log.restore();
    }
    expect(log.lines).toEqual([
      expect.stringMatching(new RegExp(`^webhooks: ${platform}:\\S+ is not in CHAT_TEAMS; refused$`)),
    ]);
  });

  it("refuses everything when CHAT_TEAMS is unset", () => {
    const log = captureConsole();
    try {
      expect(resolveChatMember(teams(undefined), "slack", "T1", "C1", "U1")).toBeNull();
    } finally {
      log.restore();
    }
    expect(log.lines).toEqual(["webhooks: slack:T1:C1 is not in CHAT_TEAMS; refused"]);
  });
});

describe("parseChatTeams", () => {
  it.each([
    ["not json", "CHAT_TEAMS: must be a JSON object"],
    ["[]", "CHAT_TEAMS: must be a JSON object"],
    ['{"irc:x":{"team":"a"}}', `CHAT_TEAMS key "irc:x": must be <${PLATFORM_NAMES.join("|")}>:<scope>[:<channel>]`],
    ['{"slack:T1":{}}', "CHAT_TEAMS[slack:T1].team undefined: must be a name of 1-64 letters, digits, . _ : @ -"],
    [
      '{"slack:T1":{"team":"a b"}}',
      'CHAT_TEAMS[slack:T1].team "a b": must be a name of 1-64 letters, digits, . _ : @ -',
    ],
    ['{"slack:T1":{"team":"a","perUser":"yes"}}', 'CHAT_TEAMS[slack:T1].perUser "yes": must be true or false'],
    [
      '{"slack:T1":{"team":"a","dailyImageQuota":-1}}',
      "CHAT_TEAMS[slack:T1].dailyImageQuota -1: must be a non-negative integer",
    ],
  ])("%s → %s", (raw, message) => {
    expect(() => parseChatTeams(raw, PLATFORM_NAMES)).toThrow(message);
  });
});

describe("a broken CHAT_TEAMS", () => {
  it("makes the webhook answer 500 and log the rule, starting nothing", async () => {
    const { env } = await import("cloudflare:workers");
    const { deliver, telegramRequest } = await import("../../test/webhooks-support.ts");
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    try {
      const update = {
        update_id: 1,
        message: { message_id: 1, chat: { id: 300, type: "group" }, from: { id: 1 }, text: "/image a cat" },
      };
      const { res } = await deliver(telegramRequest(update), { CHAT_TEAMS: '{"telegram:300":{"team":"a b"}}' });
      expect(res.status).toBe(500);
      expect(errors).toContain(
        'webhooks: CHAT_TEAMS[telegram:300].team "a b": must be a name of 1-64 letters, digits, . _ : @ -',
      );
      expect(
        await env.DB.prepare("SELECT 1 FROM webhook_events WHERE platform = 'telegram' AND event_id = '1'").first(),
      ).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
