/**
 * The console when things go wrong, in Chromium (playwright-core) against `wrangler dev` and the
 * offline provider: a session that ends while a member is working, a run cancelled, a provider
 * that breaks off mid-stream, an edit input that is not a whole image (refused as it is added), a
 * History page open longer than its signed links last, a link copied after it ran out. What was
 * already on the page, or already made, is kept; what cannot be sent is named before it is
 * uploaded.
 */
import type { Browser, Locator, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_SECRETS, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { launchChromium, screenshots } from "./browser.ts";

let stack: Stack;
let browser: Browser;
let page: Page;

const TEAM = "recovery";
const LINK_TTL_SECONDS = 10;

/** A member token through the admin API: its secret and its id (for revoking it). */
async function newToken(member: string): Promise<{ token: string; id: string }> {
  const res = await fetch(`${stack.origin}/admin/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ team: TEAM, member }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { token: string; id: string };
}

async function revoke(id: string): Promise<void> {
  const res = await fetch(`${stack.origin}/admin/tokens/${id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${DEV_SECRETS.ADMIN_TOKEN}` },
  });
  expect(res.status).toBeLessThan(300);
  await res.body?.cancel();
}

async function signIn(token: string): Promise<void> {
  await page.goto(`${stack.origin}/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** A new member signed in on Generate with `prompt` and a 1024x1024 size filled in; their token. */
async function onGenerate(member: string, prompt: string): Promise<string> {
  const { token } = await newToken(member);
  await signIn(token);
  await page.goto(`${stack.origin}/#/generate`);
  await page.getByLabel("Prompt").fill(prompt);
  await page.getByLabel("Size").fill("1024x1024");
  return token;
}

/** The prompts of the member's history, newest first. */
async function historyPrompts(token: string): Promise<string[]> {
  const res = await fetch(`${stack.origin}/console/api/history`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { data: { prompt: string }[] }).data.map((e) => e.prompt);
}

beforeAll(async () => {
  // signed links last 10 s here, so a History page outlives its links within a test
  stack = await startStack({ inspector: false, vars: { SIGNED_URL_TTL_SECONDS: String(LINK_TTL_SECONDS) } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

beforeEach(async () => {
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
});

afterEach(async () => {
  stack.provider.setFaults([]);
  await page.context().close();
});

describe("the console when things go wrong", () => {
  it("asks for the token again over the page when the session ends mid-edit, keeping the images and prompt", async () => {
    const first = await newToken("kay");
    await signIn(first.token);
    await page.goto(`${stack.origin}/#/edit`);
    const input = await sharp({ create: { width: 512, height: 512, channels: 3, background: "#38c" } })
      .png()
      .toBuffer();
    await page
      .getByLabel("Images", { exact: true })
      .setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: input });
    await page.getByRole("img", { name: /Mask painter/ }).waitFor();
    await page.getByLabel("Prompt").fill("a heron on the left bank, described with care");

    // the admin revokes the token while the member works: the next request is refused
    await revoke(first.id);
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor();
    await expect.poll(() => dialog.getByRole("alert").textContent()).toMatch(/revoked/i);
    await screenshots(page, "session-ended");

    // signing in again (the admin's new token for the same member) carries on from the same page
    const second = await newToken("kay");
    await dialog.getByLabel("Token").fill(second.token);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await page.getByLabel("Prompt").inputValue()).toBe("a heron on the left bank, described with care");
    expect(await page.getByRole("img", { name: "Input 1: photo.png" }).count()).toBe(1);
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page.locator("img.final").waitFor({ timeout: 60_000 });
    expect(await historyPrompts(second.token)).toEqual(["a heron on the left bank, described with care"]);
  }, 120_000);

  it("says a cancelled run is cancelled, in words, and that the image may still reach History", async () => {
    const token = await onGenerate("lee", "a slow lighthouse, cancelled");
    stack.provider.setFaults([{ kind: "latency", ms: 4000, path: "/generations" }]);
    const sent = page.waitForRequest((r) => r.url().endsWith("/v1/images/generations"));
    await page.getByRole("button", { name: "Generate" }).click();
    await sent;
    await page.getByRole("button", { name: "Cancel" }).click();
    const status = page.locator(".row [role=status]");
    await expect.poll(() => status.textContent()).toMatch(/^Cancelled\..*History/);
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(await page.locator("section.results").textContent()).not.toContain("Working…");
    await screenshots(page, "generate-cancelled");
    // what the message promises: the Worker finished the run, and History has it
    await expect
      .poll(() => historyPrompts(token), { timeout: 30_000, interval: 500 })
      .toEqual(["a slow lighthouse, cancelled"]);
  }, 90_000);

  it("keeps the image made before the provider broke off mid-stream, with its link", async () => {
    const token = await onGenerate("max", "two kites over a dune");
    await page.getByLabel("Number of images").fill("2");
    // the provider's stream stops after the first image's completed event, before the second's
    stack.provider.setFaults([{ kind: "cut", bytes: 450_000, path: "/generations" }]);
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 60_000 }).toMatch(/./);
    expect(await page.locator("img.final").count()).toBe(1);
    expect(await page.locator("section.results").textContent()).not.toContain("Working…");
    // the image is in History too, so Copy link gets its signed link
    await expect.poll(() => page.getByRole("button", { name: "Copy link" }).isEnabled()).toBe(true);
    expect(await historyPrompts(token)).toEqual(["two kites over a dune"]);
    await screenshots(page, "generate-broken-off");
  }, 90_000);

  it("says in words that a stream broken off after a partial image failed, keeps that image and says it may be billed", async () => {
    await onGenerate("mia", "a lantern in fog");
    // the provider's stream stops inside the second partial image's event
    stack.provider.setFaults([{ kind: "cut", bytes: 150_000, path: "/generations" }]);
    await page.getByRole("button", { name: "Generate" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent(), { timeout: 60_000 }).toMatch(/./);
    const said = (await alert.textContent()) ?? "";
    // the Worker's message as a sentence, never its JSON or a bare code
    expect(said).toMatch(/^Could not read the response of .*: Network connection lost\. /);
    expect(said).not.toMatch(/[{}]|bad_response|possibly_billed/);
    expect(said).toContain(
      "The images shown so far stay here: the provider may have billed them, partial images included.",
    );
    expect(said).toMatch(/try again/);
    expect(await page.getByRole("img", { name: "Result 1, partial image 1" }).count()).toBe(1);
    expect(await page.locator("section.results").textContent()).not.toContain("Working…");
    await screenshots(page, "generate-broken-off-partial");
  }, 90_000);

  it("marks the field a 400 names, says why beside it and focuses it, as it does for its own checks", async () => {
    await onGenerate("quinn", "a glass of water on a sill");
    /** The control's aria-invalid, the text its aria-describedby points at, whether it has focus. */
    const state = async (label: string) => {
      const control = page.getByLabel(label, { exact: true });
      const ids = ((await control.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
      const described = await Promise.all(ids.map((id) => page.locator(`#${id}`).textContent()));
      const focused = await page.evaluate<string>("document.activeElement?.id ?? ''");
      return {
        invalid: await control.getAttribute("aria-invalid"),
        described: described.join(" "),
        focused: focused === (await control.getAttribute("id")),
      };
    };

    // a rule only the Worker applies: a transparent background needs PNG or WebP
    await page.getByLabel("Format").selectOption("jpeg");
    await page.getByLabel("Background").selectOption("transparent");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 30_000 }).toMatch(/transparent/);
    expect(await state("Background")).toEqual({
      invalid: "true",
      described: "Background transparent: transparent needs output_format png or webp (jpeg has no alpha)",
      focused: true,
    });
    expect((await state("Format")).invalid).toBeNull();
    await screenshots(page, "generate-field-refused");

    // the page's own check of the size marks and focuses it the same way
    await page.getByLabel("Size").fill("4096x4096");
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(async () => (await state("Size")).focused).toBe(true);
    expect(await state("Size")).toMatchObject({ invalid: "true", described: expect.stringMatching(/at most 3840/) });
    expect((await state("Background")).invalid).toBeNull();

    // once corrected, nothing is marked and the run goes through
    await page.getByLabel("Size").fill("1024x1024");
    await page.getByLabel("Format").selectOption("png");
    await page.getByLabel("Background").selectOption("auto");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.locator("img.final").waitFor({ timeout: 60_000 });
    expect(await page.locator("[aria-invalid=true]").count()).toBe(0);
  }, 90_000);

  it("refuses a file that is not a whole image as it is added, naming it, never opening the mask on it", async () => {
    const { token } = await newToken("ned");
    await signIn(token);
    await page.goto(`${stack.origin}/#/edit`);
    const uploads: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/v1/images/edits")) uploads.push(r.url());
    });
    const images = page.getByLabel("Images", { exact: true });
    const alert = page.getByRole("alert");
    const inputs = page.getByRole("img", { name: /^Input \d/ });

    // a text file, alone, then one named and typed as a PNG: neither is added, each is named
    await images.setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("call Ann") }]);
    await expect.poll(() => alert.textContent()).toMatch(/^notes\.txt: not added, must be PNG, JPEG or WebP \(/);
    await images.setInputFiles([{ name: "scan.png", mimeType: "image/png", buffer: Buffer.from("not a picture") }]);
    await expect.poll(() => alert.textContent()).toMatch(/^scan\.png: not added, must be PNG, JPEG or WebP \(/);
    expect(await inputs.count()).toBe(0);
    expect(await page.locator("fieldset.mask").count()).toBe(0);

    // a download that stopped early (a PNG's header and nothing after it) first, then a photo
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#a53" } })
      .png()
      .toBuffer();
    await images.setInputFiles([
      { name: "cut.png", mimeType: "image/png", buffer: photo.subarray(0, 200) },
      { name: "photo.png", mimeType: "image/png", buffer: photo },
    ]);
    await expect.poll(() => alert.textContent()).toMatch(/^cut\.png: not added, must be a whole image \(/);
    expect(await inputs.evaluateAll((els) => els.map((e) => e.getAttribute("alt")))).toEqual(["Input 1: photo.png"]);
    // the mask painter opens on the photo, the first image added
    const painter = page.getByRole("img", { name: /Mask painter/ });
    await painter.waitFor();
    expect(await painter.getAttribute("width")).toBe("640");
    await screenshots(page, "edit-input-refused");
    expect(uploads).toEqual([]);

    await painter.focus();
    await page.keyboard.press("Space");
    await page.getByLabel("Prompt").fill("a red door");
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page.locator("img.final").waitFor({ timeout: 60_000 });
    expect(uploads).toHaveLength(1);
    const sent = stack.provider.requests.filter((r) => r.path.endsWith("/images/edits")).at(-1);
    expect(sent?.status).toBe(200);
    // photo.png alone, with the painted mask
    expect(sent?.files.map((f) => f.field).sort()).toEqual(["image", "mask"]);
  }, 90_000);

  it("opens a History entry with working links when the page has been open longer than its links last", async () => {
    const { token } = await newToken("ola");
    const made = await fetch(`${stack.origin}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a lighthouse, looked at later", size: "1024x1024" }),
    });
    expect(made.status).toBe(200);
    await made.arrayBuffer();
    await expect.poll(() => historyPrompts(token)).toEqual(["a lighthouse, looked at later"]);
    await signIn(token);
    await page.goto(`${stack.origin}/#/history`);
    const thumb = page.getByRole("button", { name: "Open: a lighthouse, looked at later" });
    await thumb.waitFor();
    // the member leaves the page open past the links' lifetime, then opens the image
    await page.waitForTimeout((LINK_TTL_SECONDS + 1) * 1000);
    await thumb.click();
    const dialog = page.getByRole("dialog", { name: "Image details" });
    const full = dialog.getByRole("img", { name: /a lighthouse, looked at later/ });
    await full.waitFor();
    const loaded = () =>
      full.evaluate((el) => {
        const img = el as unknown as { decode(): Promise<void>; naturalWidth: number };
        return img.decode().then(
          () => img.naturalWidth,
          () => 0,
        );
      });
    expect(await loaded()).toBe(1024);
    const href = (await dialog.getByRole("link", { name: /Download/ }).getAttribute("href")) ?? "";
    expect(Number(new URL(href).searchParams.get("exp"))).toBeGreaterThan(Date.now() / 1000);
    const file = await fetch(href);
    expect(file.status).toBe(200);
    await file.arrayBuffer();
  }, 90_000);

  it("copies a working link from a result and from a History item kept open longer than their links last", async () => {
    await onGenerate("pam", "a harbour at dusk, linked later");
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.origin });
    /** Clicks `button`, then reads the clipboard: the link must be signed for later and load. */
    const copiesLiveLink = async (button: Locator) => {
      await page.evaluate('navigator.clipboard.writeText("")');
      await button.click();
      const clipboard = () => page.evaluate<string>("navigator.clipboard.readText()");
      await expect.poll(clipboard).toMatch(/^http/);
      const link = await clipboard();
      expect(Number(new URL(link).searchParams.get("exp"))).toBeGreaterThan(Date.now() / 1000);
      const file = await fetch(link);
      expect(file.status).toBe(200);
      await file.arrayBuffer();
    };

    await page.getByRole("button", { name: "Generate" }).click();
    const copyResult = page.getByRole("button", { name: "Copy link" });
    await expect.poll(() => copyResult.isEnabled(), { timeout: 60_000 }).toBe(true);
    // the result stays on screen past its link's lifetime
    await page.waitForTimeout((LINK_TTL_SECONDS + 1) * 1000);
    await copiesLiveLink(copyResult);

    await page.goto(`${stack.origin}/#/history`);
    await page.getByRole("button", { name: "Open: a harbour at dusk, linked later" }).click();
    const dialog = page.getByRole("dialog", { name: "Image details" });
    await dialog.getByRole("link", { name: /Download/ }).waitFor();
    // the item stays open past its links' lifetime
    await page.waitForTimeout((LINK_TTL_SECONDS + 1) * 1000);
    await copiesLiveLink(dialog.getByRole("button", { name: "Copy link" }));
    // Download was renewed with it
    const href = (await dialog.getByRole("link", { name: /Download/ }).getAttribute("href")) ?? "";
    expect(Number(new URL(href).searchParams.get("exp"))).toBeGreaterThan(Date.now() / 1000);
  }, 120_000);
});
