/**
 * `npm run bench -w apps/worker` (console part): the console in Debian's Chromium against
 * `wrangler dev` and the offline provider.
 *  1. First page load: the bytes of the HTML, script and stylesheet, raw and gzip-compressed
 *     (as Cloudflare serves them compressed; wrangler dev does not compress).
 *  2. One history page of 48 images whose originals are 1-11 MB (noisy PNGs): every byte the
 *     browser fetched for it (API answer and thumbnails) — the originals are never fetched.
 *  3. Time from clicking Generate to the first partial image on screen, measured in the browser,
 *     against the API's own time to first event measured by a plain HTTP client, median of 10 each.
 * Prints figures; never passes or fails.
 */
import { gzipSync } from "node:zlib";
import { launchChromium } from "../test/e2e/browser.ts";
import { startStack, stopAll } from "./lib/stack.ts";

process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

const ROUNDS = 10;
const LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 200);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mb = (n: number) => `${(n / 1048576).toFixed(2)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main() {
  const stack = await startStack({ provider: { latencyMs: LATENCY_MS } });
  const browser = await launchChromium();
  try {
    const token = await stack.createToken("bench", "viewer");
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();

    // 1. first page load
    const assets: { url: string; raw: number; gzip: number }[] = [];
    page.on("response", async (res) => {
      const type = res.request().resourceType();
      if (!["document", "script", "stylesheet"].includes(type)) return;
      const body = await res.body().catch(() => Buffer.alloc(0));
      assets.push({ url: new URL(res.url()).pathname, raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
    });
    await page.goto(`${stack.origin}/`, { waitUntil: "networkidle" });
    page.removeAllListeners("response");
    const raw = assets.reduce((a, x) => a + x.raw, 0);
    const gz = assets.reduce((a, x) => a + x.gzip, 0);
    console.log("First page load (HTML, JS, CSS):");
    for (const a of assets) console.log(`  ${a.url}: ${kb(a.raw)} raw, ${kb(a.gzip)} gzip`);
    console.log(`  total: ${kb(raw)} raw, ${kb(gz)} gzip (budget 100 KB compressed)`);

    // sign in
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    // 2. a history page of 48 large originals
    const sizes = ["1024x1024", "1536x1024", "1024x1536", "2048x1152", "1920x1088"];
    let originals = 0;
    for (let i = 0; i < 48; i++) {
      stack.provider.setFaults([{ kind: "noise", times: 1 }]);
      const res = await fetch(`${stack.origin}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: `noise ${i}`, size: sizes[i % sizes.length], response_format: "url" }),
      });
      const body = (await res.json()) as { data?: { url: string }[] };
      if (!res.ok || !body.data?.[0]) throw new Error(`seeding image ${i}: ${res.status}`);
      const head = await fetch(body.data[0].url, { method: "HEAD" });
      originals += Number(head.headers.get("content-length") ?? 0);
    }
    let fetched = 0;
    let count = 0;
    let sawOriginal = false;
    page.on("requestfinished", async (req) => {
      const s = await req.sizes().catch(() => null);
      if (!s) return;
      fetched += s.responseBodySize + s.responseHeadersSize;
      count += 1;
      if (req.url().includes("/files/")) sawOriginal = true;
    });
    await page.goto(`${stack.origin}/#/history`);
    await page.locator("button.thumb").nth(47).waitFor();
    await page.waitForLoadState("networkidle");
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await page.waitForLoadState("networkidle");
    page.removeAllListeners("requestfinished");
    console.log("History page of 48 images:");
    console.log(`  originals: ${mb(originals)} in all, ${mb(originals / 48)} on average`);
    console.log(
      `  fetched by the browser: ${mb(fetched)} in ${count} requests (budget 3 MB); originals fetched: ${sawOriginal ? "YES" : "none"}`,
    );

    // 3. Generate to first partial image, browser vs API
    const api: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const res = await fetch(`${stack.origin}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: `timing ${i}`, size: "1024x1024", stream: true, partial_images: 2 }),
      });
      const reader = res.body?.getReader();
      let text = "";
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
        if (text.includes("\n\n")) {
          api.push(performance.now() - t0);
          break;
        }
      }
      await reader?.cancel();
    }
    await page.goto(`${stack.origin}/#/generate`);
    await page.getByLabel("Prompt").fill("timing in the browser");
    await page.getByLabel("Size").fill("1024x1024");
    const inBrowser: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const ms = await page.evaluate<number>(`new Promise((resolve) => {
        const seen = () => document.querySelector("img.partial, img.final");
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (seen()) { obs.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); }
        });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true });
        [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "Generate").click();
      })`);
      inBrowser.push(ms);
      await page.locator("img.final").waitFor({ timeout: 60_000 });
      await page.getByRole("button", { name: "Generate" }).waitFor();
      await page.waitForFunction("!document.querySelector('button.primary').disabled");
    }
    const a = median(api);
    const b = median(inBrowser);
    console.log(`Generate to first partial image (provider latency ${LATENCY_MS} ms, median of ${ROUNDS}):`);
    console.log(`  API's own time to first event: ${a.toFixed(1)} ms`);
    console.log(`  browser, click to partial image on screen: ${b.toFixed(1)} ms`);
    console.log(`  difference: ${(b - a).toFixed(1)} ms (budget 50 ms)`);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`console bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    void stopAll().then(() => process.exit(1));
  },
);
