import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { checkCallbackUrl } from "./callback.ts";
import { isPrivateHost } from "./private-host.ts";

// only ALLOW_LOCAL_CALLBACKS is read; plain objects, so the table rows stay serialisable
const prod = {} as Env;
const dev = { ALLOW_LOCAL_CALLBACKS: "true" } as Env;

describe("isPrivateHost", () => {
  it.each([
    "https://127.0.0.1/",
    "https://127.1.2.3/",
    "https://0x7f.1/", // the URL parser turns this into 127.0.0.1
    "https://2130706433/",
    "https://0.0.0.0/",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://169.254.169.254/",
    "https://100.64.0.1/",
    "https://224.0.0.1/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://localhost/",
    "https://LOCALHOST./",
    "https://api.localhost/",
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://intranet/",
    "https://localhost../",
    "https://127.0.0.1../",
    "https://localhost.localdomain/",
    "https://[::ffff:0:127.0.0.1]/", // IPv4-translated
    "https://[2002:a9fe:a9fe::]/", // 6to4 around 169.254.169.254
    "https://[fec0::1]/", // site local
    "https://[2001:0:4136:e378::1]/", // Teredo
  ])("%s is private", (url) => {
    expect(isPrivateHost(new URL(url).hostname)).toBe(true);
  });

  it.each([
    "https://example.com/",
    "https://hooks.test/",
    "https://8.8.8.8/",
    "https://172.32.0.1/",
    "https://100.128.0.1/",
    "https://[2606:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[2002:808:808::]/", // 6to4 around 8.8.8.8
    "https://[2001:db8::1]/",
  ])("%s is public", (url) => {
    expect(isPrivateHost(new URL(url).hostname)).toBe(false);
  });
});

describe("checkCallbackUrl", () => {
  it.each([
    ["https://example.com/hook", prod, true],
    ["https://169.254.169.254/latest/meta-data/", prod, false],
    ["https://127.0.0.1:8443/hook", prod, false],
    ["http://127.0.0.1:8080/hook", prod, false],
    ["http://127.0.0.1:8080/hook", dev, true],
    ["https://localhost:8443/hook", dev, true],
    ["https://10.0.0.1/hook", dev, false],
    ["http://example.com/hook", dev, false],
  ] as const)("%s with %j accepted: %s", (url, e, ok) => {
    const issues = checkCallbackUrl(e, url);
    expect(issues.length === 0).toBe(ok);
    if (!ok) expect(issues[0]?.field).toBe("callback_url");
  });
  it.each([
    "http://example.com/hook?token=canary-callback-token",
    "https://10.0.0.1/hook?token=canary-callback-token",
    "not a url?token=canary-callback-token",
    "https://me:canary-callback-token@example.com/hook",
  ])("names %s without its query or userinfo", (url) => {
    const [issue] = checkCallbackUrl(prod, url);
    expect(issue?.field).toBe("callback_url");
    expect(JSON.stringify(issue)).not.toContain("canary-callback-token");
  });
});
