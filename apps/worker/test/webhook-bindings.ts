/**
 * Webhook secrets and vars for the Workers-runtime tests: canary values (any of them in a
 * response or a chat message fails a test) and API bases on hosts that only a fetch spy answers.
 */

/** RFC 8032 test 1 key pair: tests sign Discord interactions with it. */
export const DISCORD_TEST_KEY = {
  secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
};

export const WEBHOOK_TEST_BINDINGS = {
  SLACK_SIGNING_SECRET: "slack-canary-signing-secret-do-not-leak",
  SLACK_BOT_TOKEN: "xoxb-canary-bot-token-do-not-leak",
  DISCORD_PUBLIC_KEY: DISCORD_TEST_KEY.public,
  DISCORD_APPLICATION_ID: "100000000000000001",
  DISCORD_BOT_TOKEN: "discord-canary-bot-token-do-not-leak",
  TELEGRAM_BOT_TOKEN: "123456:telegram-canary-token-do-not-leak",
  TELEGRAM_SECRET_TOKEN: "telegram-canary-secret-do-not-leak",
  FEISHU_APP_ID: "cli_canary_app",
  FEISHU_APP_SECRET: "feishu-canary-app-secret-do-not-leak",
  FEISHU_ENCRYPT_KEY: "feishu-canary-encrypt-key-do-not-leak",
  FEISHU_VERIFICATION_TOKEN: "feishu-canary-verification-do-not-leak",
  SLACK_API_BASE: "http://slack.test/api",
  DISCORD_API_BASE: "http://discord.test/api/v10",
  TELEGRAM_API_BASE: "http://telegram.test",
  FEISHU_API_BASE: "http://feishu.test/open-apis",
  CHAT_TEAMS: JSON.stringify({
    "slack:T100": { team: "acme", member: "slack-bot", perUser: true },
    "discord:200": { team: "acme" },
    "telegram:300": { team: "acme", member: "tg-chat" },
    "telegram:301": { team: "acme", member: "tg-quota", dailyImageQuota: 1 },
    "telegram:302": { team: "acme", member: "tg-race", dailyImageQuota: 1 },
    "feishu:tenant400": { team: "acme", perUser: true },
  }),
};
