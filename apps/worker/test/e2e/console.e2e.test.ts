/**
 * The console in a real browser: Debian's Chromium (playwright-core) against `wrangler dev` and
 * the offline provider. Sign-in, generate with a ratio size, edit with a painted mask, history
 * paging, usage, admin tokens, sign-out, and the refusals (forged cookie, cross-site POST).
 * Screenshots of every page at desktop and phone width go to .screenshots/console (git-ignored).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page, Request as PwRequest } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORBIDDEN_WORD } from "../../../../packages/offline-provider/src/params.ts";
import { DEV_SECRETS, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { launchChromium, screenshots, VIEWPORTS } from "./browser.ts";
import { until } from "./support.ts";

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let member: string;

const TEAM = "studio";
const MEMBER = "ann";

async function signIn(token: string) {
  await page.goto(`${stack.origin}/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

async function api<T>(path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.origin}${path}`, {
    ...init,
    // Each call on its own connection: under load the local server now and then leaves a request
    // on a reused keep-alive connection unanswered while fresh connections are served at once.
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      connection: "close",
      ...init.headers,
    },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

beforeAll(async () => {
  stack = await startStack({ inspector: false });
  member = await stack.createToken(TEAM, MEMBER);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // keeps a copy of the mask the page sends with an edit (init scripts run outside the page's CSP)
  await context.addInitScript(() => {
    const w = globalThis as unknown as { fetch: typeof fetch; __sentMask?: Promise<number[]> };
    const real = w.fetch.bind(globalThis);
    w.fetch = (input, init) => {
      const body = init?.body;
      if (String(input).endsWith("/v1/images/edits") && body instanceof FormData) {
        const mask = body.get("mask");
        if (mask instanceof Blob) w.__sentMask = mask.arrayBuffer().then((b) => [...new Uint8Array(b)]);
      }
      return real(input, init);
    };
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the console in Chromium", () => {
  it("signs in with a member token: an HttpOnly SameSite=Strict cookie, no token kept in the page", async () => {
    await page.goto(`${stack.origin}/`);
    await screenshots(page, "sign-in");
    const bad = page.getByLabel("Token");
    await bad.fill("gpi_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toMatch(/Invalid token.*Sign in again|invalid token/i);
    await signIn(member);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "gptimg_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(session?.expires).toBeGreaterThan(Date.now() / 1000);
    expect(session?.value).not.toContain(member);
    const stored = await page.evaluate<string>(
      "JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })",
    );
    expect(stored).not.toContain("gpi_");
    expect(page.url()).not.toContain("gpi_");
    const csp = (await page.request.get(`${stack.origin}/`)).headers()["content-security-policy"];
    expect(csp).toContain("default-src 'none'");
  });

  it("after 20 wrong tokens from one address, sign-in there says how long to wait, even for the right token", async () => {
    // another address than the other tests' 127.0.0.1 (wrangler dev keeps a CF-Connecting-IP it is sent)
    const from = { "cf-connecting-ip": "198.51.100.77" };
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${stack.origin}/console/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: stack.origin, connection: "close", ...from },
        body: JSON.stringify({ token: `gpi_wrong-${i}` }),
      });
      expect(res.status).toBe(401);
    }
    const locked = await browser.newContext({ viewport: { width: 1280, height: 860 }, extraHTTPHeaders: from });
    try {
      const p = await locked.newPage();
      await p.goto(`${stack.origin}/`);
      await p.getByLabel("Token").fill(member);
      await p.getByRole("button", { name: "Sign in" }).click();
      await expect
        .poll(() => p.getByRole("alert").textContent())
        .toMatch(
          /^Too many attempts with a wrong token from this address \(20 within 10 minutes\): every token sent from it is refused for \d+ more seconds\. Wait (\d+ seconds|about \d+ minutes), then try again\.$/,
        );
      await screenshots(p, "sign-in-locked-out");
      expect((await locked.cookies()).find((c) => c.name === "gptimg_session")).toBeUndefined();
    } finally {
      await locked.close();
    }
  });

  it("generates with a ratio size: the legal size shows as you type, partial images stream in", async () => {
    await page.goto(`${stack.origin}/#/generate`);
    await page.getByLabel("Prompt").fill("a lighthouse at dusk, wide");
    const size = page.getByLabel("Size");
    await size.fill("16:9");
    await expect.poll(() => page.locator("output").first().textContent()).toBe("Sends 1536x864 (ratio)");
    await size.fill("1920x1080");
    await expect.poll(() => page.locator("output").first().textContent()).toMatch(/multiples of 16.*1920x1088/);
    await size.fill("16:9");
    const before = stack.provider.count("/images/generations");
    await page.getByRole("button", { name: "Generate" }).click();
    const final = page.locator("img.final");
    await final.waitFor({ timeout: 60_000 });
    const partials = Number(await final.getAttribute("data-partials"));
    expect(partials).toBeGreaterThan(0);
    const dims = await final.evaluate((el) => {
      const img = el as unknown as { naturalWidth: number; naturalHeight: number };
      return `${img.naturalWidth}x${img.naturalHeight}`;
    });
    expect(dims).toBe("1536x864");
    expect(stack.provider.count("/images/generations")).toBe(before + 1);
    const sent = stack.provider.requests.at(-1);
    expect(sent?.fields).toMatchObject({ size: "1536x864", stream: true });
    await expect.poll(() => page.getByRole("button", { name: "Copy link" }).isEnabled()).toBe(true);
    await expect(page.getByRole("link", { name: "Download" }).getAttribute("download")).resolves.toMatch(/\.png$/);
    await page.getByRole("button", { name: "Again with these settings" }).waitFor();
    await screenshots(page, "generate");

    await page.goto(`${stack.origin}/#/history`);
    const thumb = page.locator("button.thumb").first();
    await thumb.waitFor();
    await thumb.click();
    const dialog = page.getByRole("dialog", { name: "Image details" });
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toContain("a lighthouse at dusk, wide");
    expect(await dialog.textContent()).toContain("1536x864");
    expect(await dialog.textContent()).toContain(MEMBER);
    await screenshots(page, "history-detail");
    await page.getByRole("button", { name: "Reuse settings" }).click();
    await expect.poll(() => page.getByLabel("Prompt").inputValue()).toBe("a lighthouse at dusk, wide");
  });

  it("edits with a painted mask: a PNG with alpha at the image's exact size reaches the provider", async () => {
    const width = 1024;
    const height = 1536;
    const input = await sharp({ create: { width, height, channels: 3, background: "#4a7" } })
      .png()
      .toBuffer();
    await page.goto(`${stack.origin}/#/edit`);
    await page
      .getByLabel("Images", { exact: true })
      .setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: input });
    const canvas = page.getByRole("img", { name: /Mask painter/ });
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    if (!box) throw new Error("the mask painter has no box");
    // paint a stroke across the upper left quarter
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2, { steps: 8 });
    await page.mouse.up();
    // undo and redo the stroke, so undo is exercised
    await page.getByRole("button", { name: "Undo" }).click();
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2, { steps: 8 });
    await page.mouse.up();
    await page.getByLabel("Prompt").fill("add a red kite in the sky");
    await screenshots(page, "edit");
    const sent = page.waitForRequest((r) => r.url().endsWith("/v1/images/edits"));
    const before = stack.provider.count("/images/edits");
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await sent;
    const maskBytes = Buffer.from(await page.evaluate<number[]>("window.__sentMask"));
    const meta = await sharp(maskBytes).metadata();
    expect({ width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha }).toEqual({
      width,
      height,
      hasAlpha: true,
    });
    const alpha = await sharp(maskBytes).extractChannel(3).raw().toBuffer();
    const at = (x: number, y: number) => alpha[Math.round(y) * width + Math.round(x)];
    expect(at(width * 0.2, height * 0.15)).toBe(0); // painted: to be edited
    expect(at(width * 0.8, height * 0.8)).toBe(255); // untouched: kept
    await page.locator("img.final").waitFor({ timeout: 60_000 });
    expect(stack.provider.count("/images/edits")).toBe(before + 1);
    const received = stack.provider.requests.filter((r) => r.path.endsWith("/images/edits")).at(-1);
    // the provider itself refuses a mask that is not a PNG with alpha of the first image's size
    expect(received?.status).toBe(200);
    expect(received?.files.find((f) => f.field === "mask")).toMatchObject({ type: "image/png" });
  });

  it("pages through 60 more images, 48 to a page, with thumbnails only", async () => {
    const made: Promise<unknown>[] = [];
    const queue = Array.from({ length: 60 }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const r = await api(`/v1/images/generations`, member, {
          method: "POST",
          body: JSON.stringify({ prompt: `batch image ${i}`, size: "1024x1024", quality: "low" }),
        });
        if (r.status !== 200) throw new Error(`seeding image ${i}: ${r.status}`);
      }
    };
    for (let k = 0; k < 3; k++) made.push(worker());
    await Promise.all(made);
    await page.goto(`${stack.origin}/#/history`);
    const originals: string[] = [];
    const onRequest = (r: PwRequest) => {
      if (r.url().includes("/files/")) originals.push(r.url());
    };
    page.on("request", onRequest);
    await page.reload();
    const thumbs = page.locator("button.thumb");
    await expect.poll(() => thumbs.count(), { timeout: 30_000 }).toBe(48);
    // newest first, as the API orders them (the three seeders race, so "newest" is the API's word)
    const newest = await api<{ data: { prompt: string }[] }>("/console/api/history", member);
    expect(newest.body.data[0]?.prompt).toMatch(/^batch image \d+$/);
    await expect.poll(() => thumbs.first().getAttribute("aria-label")).toBe(`Open: ${newest.body.data[0]?.prompt}`);
    await page.waitForLoadState("networkidle");
    await screenshots(page, "history");
    await page.getByRole("button", { name: "Next page" }).click();
    // 60 + the generated + the edited image = 62: 14 on page two, the oldest last
    await expect.poll(() => thumbs.count(), { timeout: 30_000 }).toBe(14);
    await expect.poll(() => thumbs.last().getAttribute("aria-label")).toBe("Open: a lighthouse at dusk, wide");
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(() => thumbs.count()).toBe(48);
    // filters: text search
    await page.getByLabel("Search prompts").fill("kite");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => thumbs.count()).toBe(1);
    page.off("request", onRequest);
    expect(originals).toEqual([]);
  }, 240_000);

  it("usage shows the member's image count, the same as /v1/usage", async () => {
    // usage is recorded as each request settles, just after its answer
    const expected = await until(async () => {
      const { body } = await api<{ rows: { images: number }[] }>("/v1/usage", member);
      const n = body.rows.reduce((a, r) => a + r.images, 0);
      return n === 62 ? n : undefined;
    });
    await page.goto(`${stack.origin}/#/usage`);
    await expect.poll(() => page.getByTestId("usage-images").textContent()).toBe(String(expected));
    await screenshots(page, "usage");
  });

  it("works at phone width and by keyboard alone: every control named, no sideways scroll, errors in words", async () => {
    await page.setViewportSize(VIEWPORTS.phone);
    const ready: Record<string, () => Promise<void>> = {
      generate: () => page.getByLabel("Prompt").waitFor(),
      edit: () => page.getByLabel("Images", { exact: true }).waitFor(),
      history: () => page.locator("button.thumb").first().waitFor(),
      usage: async () => {
        await expect.poll(() => page.getByTestId("usage-images").textContent()).not.toBe("0");
      },
    };
    // controls the accessibility tree shows without a name (Playwright's ARIA snapshot of the page)
    const INTERACTIVE =
      /^\s*- (button|link|textbox|combobox|checkbox|radio|spinbutton|slider|searchbox|switch)(\s*$|\s*\[|:)/;
    try {
      for (const [route, isReady] of Object.entries(ready)) {
        await page.goto(`${stack.origin}/#/${route}`);
        await isReady();
        const unnamed = (await page.locator("body").ariaSnapshot()).split("\n").filter((l) => INTERACTIVE.test(l));
        expect(unnamed, `${route}: controls without an accessible name`).toEqual([]);
        const sideways = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
        expect(sideways, `${route}: the page scrolls sideways at phone width`).toBeLessThanOrEqual(0);
      }

      // Generate by keyboard alone: Tab from the top of the page to each control
      await page.goto(`${stack.origin}/#/generate`);
      await ready.generate?.();
      const tabTo = async (target: ReturnType<Page["getByLabel"]>, key = "Tab") => {
        for (let i = 0; i < 60; i++) {
          if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return;
          await page.keyboard.press(key);
        }
        throw new Error(`${key} never reached the control`);
      };
      await tabTo(page.getByLabel("Prompt"));
      await page.keyboard.type("a paper kite, made by keyboard");
      await tabTo(page.getByLabel("Size"));
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type("1:1");
      await expect.poll(() => page.locator("output").first().textContent()).toMatch(/1024x1024/);
      await tabTo(page.getByRole("button", { name: "Generate" }));
      await page.keyboard.press("Enter");
      await page.locator("img.final").waitFor({ timeout: 60_000 });
      await tabTo(page.getByRole("link", { name: "Download" }));

      // an API refusal is a sentence with what to do, never JSON; Ctrl+Enter in the prompt runs
      await tabTo(page.getByLabel("Prompt"), "Shift+Tab");
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type(`a ${FORBIDDEN_WORD} poster`);
      await page.keyboard.press("ControlOrMeta+Enter");
      const alert = page.getByRole("alert");
      await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/change it and try again/);
      expect(await alert.textContent()).not.toMatch(/[{}[\]]|"\w+":/);
      await screenshots(page, "generate-refused");

      // the provider account out of credit: said so, with who can fix it, not "wait a minute"
      stack.provider.setFaults([{ kind: "status", status: 429, code: "insufficient_quota" }]);
      await tabTo(page.getByLabel("Prompt"), "Shift+Tab");
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type("a poster nobody pays for");
      await page.keyboard.press("ControlOrMeta+Enter");
      await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(/out of credit.*admin/);
      expect(await alert.textContent()).not.toMatch(/wait a minute/i);
    } finally {
      stack.provider.setFaults([]);
      await page.setViewportSize(VIEWPORTS.desktop);
    }
  }, 120_000);

  it("keeps a partial image's pixels while the page re-renders, and lets go of the last run's images", async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${stack.origin}/#/generate`);
    await page.getByLabel("Prompt").fill("a paper boat on a pond");
    await page.getByLabel("Size").fill("1024x1024");
    await page.getByRole("button", { name: "Generate" }).click();
    const final = page.locator("img.final");
    await final.waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Again with these settings" }).waitFor();
    const finalUrl = String(await final.getAttribute("src"));
    expect(finalUrl).toMatch(/^blob:/);
    // loaded as an image: the page's CSP allows blob: images, not blob: fetches
    const readable = (url: string) =>
      page.evaluate((u) => {
        const { Image } = globalThis as unknown as { Image: new () => { src: string; decode(): Promise<void> } };
        const img = new Image();
        img.src = u;
        return img.decode().then(
          () => true,
          () => false,
        );
      }, url);
    expect(await readable(finalUrl)).toBe(true);

    // A stream that ends after one partial image: the partial stays on screen while the page
    // re-renders around it (the run's end, its error, typing the next prompt).
    const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: "#c03020" } })
      .png()
      .toBuffer();
    const event = JSON.stringify({
      type: "image_generation.partial_image",
      b64_json: png.toString("base64"),
      partial_image_index: 0,
      size: "1024x1024",
      output_format: "png",
    });
    await page.route("**/v1/images/generations", (route) =>
      route.fulfill({
        status: 200,
        headers: { "content-type": "text/event-stream" },
        body: `event: image_generation.partial_image\ndata: ${event}\n\n`,
      }),
    );
    try {
      await page.getByRole("button", { name: "Generate" }).click();
      const canvas = page.locator("canvas.partial");
      await canvas.waitFor();
      await expect.poll(() => page.getByRole("button", { name: "Generate" }).isEnabled()).toBe(true);
      await page.getByLabel("Prompt").fill("the next prompt, typed while the partial image is shown");
      const drawn = await canvas.evaluate((el) => {
        const c = el as unknown as {
          width: number;
          height: number;
          getContext(
            kind: "2d",
          ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
        };
        const px = c.getContext("2d")?.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
        return { width: c.width, height: c.height, px: px ? [...px] : [] };
      });
      expect(drawn.width).toBeGreaterThan(0);
      expect(drawn.height).toBe(drawn.width);
      expect(drawn.px).toEqual([192, 48, 32, 255]);
    } finally {
      await page.unroute("**/v1/images/generations");
    }
    // the finished run before it was replaced: its image's object URL is released
    expect(await readable(finalUrl)).toBe(false);
  });

  it("signs out server-side, and a forged session cookie is refused", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "gptimg_session");
    await signOut();
    const old = await fetch(`${stack.origin}/v1/usage`, { headers: { cookie: `gptimg_session=${cookie?.value}` } });
    expect(old.status).toBe(401);
    await context.addCookies([
      { name: "gptimg_session", value: `gps_${"x".repeat(43)}`, url: stack.origin, httpOnly: true, sameSite: "Strict" },
    ]);
    await page.goto(`${stack.origin}/#/history`);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
  });

  it("admin creates a token (secret shown once), filters, revokes it; a cross-site POST is refused", async () => {
    await signIn(DEV_SECRETS.ADMIN_TOKEN);
    await page.goto(`${stack.origin}/#/admin`);
    await page.getByLabel("Team").fill(TEAM);
    await page.getByLabel("Member", { exact: true }).fill("bea");
    await page.getByLabel("Expires in days").fill("30");
    await page.getByLabel("Models").fill("gpt-image-2");
    await page.getByLabel("Daily image quota").fill("20");
    await page.getByLabel("Requests per minute").fill("5");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = page.getByLabel("New token", { exact: true });
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^gpi_/);
    await page.getByRole("button", { name: "Copy token" }).waitFor();
    await screenshots(page, "admin");
    expect((await api("/v1/models", token)).status).toBe(200);
    await page.getByLabel("Filter tokens").fill("bea");
    const row = page.locator("tr", { hasText: "bea" });
    await expect.poll(() => row.count()).toBe(1);
    await page.getByRole("button", { name: `Revoke bea (${TEAM})` }).click();
    await page.getByRole("button", { name: "Confirm revoke bea" }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect((await api("/v1/models", token)).status).toBe(401);

    // usage as admin: per member and model, the numbers of /admin/usage
    const all = await api<{ rows: { images: number }[] }>("/admin/usage", DEV_SECRETS.ADMIN_TOKEN);
    const total = all.body.rows.reduce((a, r) => a + r.images, 0);
    await page.goto(`${stack.origin}/#/usage`);
    await expect.poll(() => page.getByTestId("usage-images").textContent()).toBe(String(total));
    await screenshots(page, "usage-admin");

    // a page on another origin (same site: only the port differs, so the Strict cookie goes along)
    // posts a token request in the classic CSRF shape: refused, nothing created
    const evil: Server = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form id="f" method="POST" action="${stack.origin}/admin/tokens" enctype="text/plain">
        <input name='{"team":"${TEAM}","member":"mallory","x":"' value='"}'></form>
        <script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((ok) => evil.listen(0, "127.0.0.1", ok));
    try {
      const port = (evil.address() as AddressInfo).port;
      const answered = page.waitForResponse(
        (r) => r.url().endsWith("/admin/tokens") && r.request().method() === "POST",
        { timeout: 20_000 },
      );
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "commit" });
      const res = await answered;
      expect(res.status()).toBe(403);
      const sentOrigin = (await res.request().allHeaders()).origin;
      expect(sentOrigin).toBe(`http://127.0.0.1:${port}`);
      // the form's navigation settles on the refusal before the next navigation starts
      await page.waitForURL(`${stack.origin}/admin/tokens`, { waitUntil: "load" });
    } finally {
      // Stop listening first, then drop the connections Chromium keeps alive (it may open one
      // more, e.g. for a favicon, until the listener is gone): close() then returns at once.
      await new Promise((ok) => {
        evil.close(ok);
        evil.closeAllConnections();
      });
    }
    const list = await api<{ data: { member: string }[] }>("/admin/tokens", DEV_SECRETS.ADMIN_TOKEN);
    expect(list.body.data.map((t) => t.member)).not.toContain("mallory");
    await page.goto(`${stack.origin}/#/admin`);
    await signOut();
    await until(async () => ((await context.cookies()).some((c) => c.name === "gptimg_session") ? undefined : true));
  }, 120_000);
});
