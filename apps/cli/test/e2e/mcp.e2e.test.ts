import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { encodeBase64 } from "@gptimg/core";
import type { StructuredImageResult } from "@gptimg/mcp-tools";
import { type OfflineProvider, startOfflineProvider } from "@gptimg/offline-provider";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CallToolResult, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, BUN, CANARY, filesContaining, gate, ROOT, tmp } from "../helpers.ts";

/** The structured result, with the fields these tests read made required. */
type Structured = Required<Omit<StructuredImageResult, "images">> & {
  images: Required<StructuredImageResult["images"][number]>[];
};
const st = (r: CallToolResult) => r.structuredContent as unknown as Structured;

interface Served {
  client: Client;
  out: string;
  home: string;
  stderr: () => string;
  logs: unknown[];
}

let provider: OfflineProvider;
let inputs: Server;
let inputsUrl: string;
const servers: Served[] = [];

/** Starts `gptimg mcp` (compiled binary or source) with a clean home and the canary key. */
async function serve(opts: { source?: boolean; args?: string[]; baseUrl?: string } = {}): Promise<Served> {
  const home = tmp("gptimg-mcp-home-");
  const out = join(home, "images");
  const transport = new StdioClientTransport({
    command: opts.source ? BUN : BIN,
    args: [...(opts.source ? [join(ROOT, "src/main.ts")] : []), "mcp", "--out", out, ...(opts.args ?? [])],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      GPTIMG_API_KEY: CANARY,
      GPTIMG_BASE_URL: opts.baseUrl ?? provider.url,
    },
    cwd: home,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: "gptimg-test", version: "1.0.0" });
  const logs: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  await client.connect(transport);
  const served = { client, out, home, stderr: () => stderr, logs };
  servers.push(served);
  return served;
}

const call = (s: Served, name: string, args: Record<string, unknown>) =>
  s.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) =>
  r.content
    .filter((x) => x.type === "text")
    .map((x) => x.text)
    .join("\n");
const bytesOf = (r: CallToolResult) => new TextEncoder().encode(JSON.stringify(r)).length;

/** No output of a server (results, its log, its files) may carry the key. */
function noCanary(s: Served, ...results: CallToolResult[]): void {
  for (const r of results) expect(JSON.stringify(r)).not.toContain(CANARY);
  expect(s.stderr()).not.toContain(CANARY);
  expect(filesContaining(s.home, CANARY)).toEqual([]);
}

beforeAll(async () => {
  provider = await startOfflineProvider({ apiKey: CANARY });
  // serves one input image over loopback http, as an https host would
  const png = await (await generateOnce()).arrayBuffer();
  inputs = createServer((_req, res) => {
    res.setHeader("content-type", "image/png");
    res.end(Buffer.from(png));
  });
  await new Promise<void>((r) => inputs.listen(0, "127.0.0.1", r));
  inputsUrl = `http://127.0.0.1:${(inputs.address() as AddressInfo).port}/dog.png`;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.client.close().catch(() => undefined)));
  await new Promise((r) => inputs?.close(r));
  await provider?.close();
});

/** A PNG from the offline provider, for edit inputs. */
async function generateOnce(): Promise<Blob> {
  const res = await fetch(`${provider.url}/images/generations`, {
    method: "POST",
    headers: { authorization: `Bearer ${CANARY}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a dog", size: "1024x1024", quality: "low" }),
  });
  const body = (await res.json()) as { data: { b64_json: string }[] };
  return new Blob([Buffer.from(body.data[0]!.b64_json, "base64")]);
}

describe("gptimg mcp over stdio (compiled binary)", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  });

  it("lists the four tools, each option with its allowed values", async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["generate_image", "edit_image", "resolve_size", "get_job"]);
    const props = tools[0]!.inputSchema.properties as Record<string, { enum?: string[]; maximum?: number }>;
    expect(props.quality?.enum).toEqual(["low", "medium", "high", "auto", "standard", "hd"]);
    expect(props.output_format?.enum).toEqual(["png", "jpeg", "webp"]);
    expect(props.n?.maximum).toBe(10);
    expect(tools[0]!.inputSchema.required).toEqual(["prompt"]);
    expect(tools[1]!.inputSchema.required).toEqual(["prompt", "images"]);
    expect(tools[0]!.outputSchema).toBeDefined();
  });

  it("generate_image saves files and answers with paths, links, previews and usage", async () => {
    const r = await call(s, "generate_image", { prompt: "a lighthouse at dusk", n: 2, size: "1024x1024" });
    expect(r.isError).toBeFalsy();
    const sc = st(r);
    expect(sc).toMatchObject({ status: "succeeded", model: "gpt-image-2", provider: "default", previews: 2 });
    expect(sc.request_id).toMatch(/^req_/);
    expect(sc.usage.total_tokens).toBeGreaterThan(0);
    expect(sc.cost_usd).toBeGreaterThan(0);
    expect(sc.images).toHaveLength(2);
    for (const img of sc.images) {
      expect(img.path.startsWith(`${s.out}/`)).toBe(true);
      expect(statSync(img.path).size).toBe(img.bytes);
      expect(img).toMatchObject({ width: 1024, height: 1024, format: "png", mime_type: "image/png" });
      expect(img.uri).toBe(`file://${img.path}`);
    }
    const kinds = r.content.map((c) => c.type);
    expect(kinds).toEqual(["text", "text", "text", "resource_link", "resource_link", "image", "image"]);
    expect(text(r)).toContain(`image 1 of 2: ${sc.images[0]!.path} (1024x1024 png,`);
    const preview = r.content.find((c) => c.type === "image");
    expect(
      preview?.type === "image" && Buffer.from(preview.data, "base64").equals(readFileSync(sc.images[0]!.path)),
    ).toBe(true);
    expect(bytesOf(r)).toBeLessThanOrEqual(1024 * 1024);
    noCanary(s, r);
  });

  it("partial images arrive as progress notifications and leave no file behind", async () => {
    const steps: string[] = [];
    const r = (await s.client.callTool(
      { name: "generate_image", arguments: { prompt: "a progress bar", partial_images: 2, out: "progress/" } },
      undefined,
      { onprogress: (p) => steps.push(p.message ?? "") },
    )) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(steps.filter((m) => /^partial \d of image 1/.test(m))).toHaveLength(2);
    expect(readdirSync(join(s.out, "progress"))).toHaveLength(1);
  });

  it("edit_image takes a path, a URL and a data URL", async () => {
    const first = await call(s, "generate_image", { prompt: "a dog", out: "dog.png" });
    const dog = st(first).images[0]!.path as string;
    const data = `data:image/png;base64,${encodeBase64(readFileSync(dog))}`;
    const r = await call(s, "edit_image", { prompt: "add a red scarf", images: [dog, inputsUrl, data] });
    expect(r.isError).toBeFalsy();
    expect(st(r).images[0]).toMatchObject({ width: 1024, height: 1024 });
    const sent = provider.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/edits");
    expect(sent.files.filter((f) => f.field.startsWith("image"))).toHaveLength(3);
  });

  it("edit_image with mask auto sends a fully transparent mask of the first image's size", async () => {
    const r = await call(s, "edit_image", { prompt: "make it night", images: [inputsUrl], mask: "auto" });
    expect(r.isError).toBeFalsy();
    const sent = provider.requests.at(-1)!;
    const mask = sent.files.find((f) => f.field === "mask");
    expect(mask).toMatchObject({ type: "image/png" });
    expect(st(r).images[0]).toMatchObject({ width: 1024, height: 1024 });
  });

  it("edit_image sends an https input by reference (the spec's JSON edit form), as gptimg edit does", async () => {
    const url = "https://images.example.com/dog.png";
    const r = await call(s, "edit_image", { prompt: "add a hat", images: [url] });
    const sent = provider.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/edits");
    expect(sent.headers["content-type"]).toMatch(/^application\/json/);
    expect(sent.fields).toMatchObject({ images: [{ image_url: url }] });
    // the offline provider fetches nothing from the internet: its 400 comes back as a tool error
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/fetches nothing from the internet/);
    noCanary(s, r);
  });

  it("a missing input image is named, with a next step about the input (not the output); nothing is sent", async () => {
    const before = provider.count();
    const r = await call(s, "edit_image", { prompt: "add a hat", images: [join(s.out, "missing.png")] });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(
      new RegExp(`^error io: images\\[0\\] ${join(s.out, "missing.png")}: no such file or directory \\(ENOENT\\)\\n`),
    );
    expect(text(r)).toMatch(/\nnext: check the named image or mask: a path must name a readable image file/);
    // an input that is not an image is named by the tool's field too, not the CLI's or core's
    const notes = join(s.home, "notes.txt");
    writeFileSync(notes, "hello");
    const bad = await call(s, "edit_image", { prompt: "add a hat", images: [inputsUrl, notes] });
    expect(text(bad)).toMatch(/^error validation: images\[1\] .*notes\.txt: must be PNG, JPEG or WebP/);
    expect(text(r)).not.toMatch(/overwrite|out path/);
    expect(provider.count()).toBe(before);
  });

  it("a bad size is an isError result naming the nearest legal size; nothing is sent", async () => {
    const before = provider.count();
    const r = await call(s, "generate_image", { prompt: "x", size: "1920x1080" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^error validation: size 1920x1080: .*nearest legal: 1920x1088/);
    expect(text(r)).toMatch(/\nnext: fix the named field/);
    expect(provider.count()).toBe(before);
  });

  it("a refusal by gptimg's model table names skip_model_rules; with it true the provider decides", async () => {
    const before = provider.count();
    const args = { prompt: "a lighthouse", model: "gpt-image-2", style: "vivid", size: "1024x1024" };
    const refused = await call(s, "generate_image", args);
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain(
      "style vivid: is not supported by gpt-image-2 (dall-e-3 takes it) (gptimg's model table; skip_model_rules: true lets the provider decide)",
    );
    expect(provider.count()).toBe(before);
    const made = await call(s, "generate_image", { ...args, skip_model_rules: true });
    expect(made.isError, text(made)).toBeFalsy();
    expect(st(made).images).toHaveLength(1);
    expect(provider.count()).toBe(before + 1);
  });

  it("arguments outside the schema are isError results naming field, value and rule", async () => {
    const r = await call(s, "generate_image", { prompt: "x", quality: "ultra", n: 11, colour: "red" });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("quality ultra: must be one of low, medium, high, auto, standard, hd");
    expect(text(r)).toContain("n 11: must be an integer from 1 to 10");
    expect(text(r)).toContain("colour red: is not an option of this tool");
  });

  it("an out that leads outside the output directory is refused by every tool that saves; nothing is sent or written", async () => {
    const outside = tmp("gptimg-mcp-outside-");
    symlinkSync(outside, join(s.out, "away"));
    const homeBefore = readdirSync(s.home).sort();
    const before = provider.count();
    const cases: [string, Record<string, unknown>][] = [];
    for (const out of [
      `../../../..${outside}/evil.png`,
      "../escaped.png",
      "../escaped-dir/",
      join(outside, "abs.png"),
      "away/linked.png",
      "away/deeper/",
    ]) {
      cases.push(["generate_image", { prompt: "a lighthouse", out, overwrite: true }]);
      cases.push(["edit_image", { prompt: "add a scarf", images: [inputsUrl], out }]);
      cases.push(["get_job", { id: "job_abc", out }]);
    }
    for (const [tool, args] of cases) {
      const r = await call(s, tool, args);
      expect(r.isError, `${tool} ${args.out}`).toBe(true);
      expect(text(r)).toBe(
        `error usage: out ${args.out}: must name a file or directory inside the output directory ${s.out}\nnext: fix the named argument and call again`,
      );
    }
    expect(provider.count()).toBe(before);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(s.home).sort()).toEqual(homeBefore);
    // inside, through a subdirectory and back, is still fine
    const ok = await call(s, "generate_image", { prompt: "a lighthouse", out: "sub/../inside.png" });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(st(ok).images[0]!.path).toBe(join(s.out, "inside.png"));
  });

  it("a provider failure is an isError result with the stable code and what to do next", async () => {
    const r = await call(s, "generate_image", { prompt: "forbidden-content here" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^error content_policy: /);
    expect(text(r)).toContain("next: the provider refused");
    const down = await call(s, "generate_image", { prompt: "x", extra_body: { offline_fault: "status=401" } });
    expect(text(down)).toMatch(/^error auth: /);
    expect(text(down)).toContain("gptimg login");
    noCanary(s, r, down);
  });

  it("a cancelled call aborts the request, leaves no file and reports possibly billed", async () => {
    const controller = new AbortController();
    const pending = s.client.callTool(
      {
        name: "generate_image",
        arguments: { prompt: "a slow one", out: "cancelled/", extra_body: { offline_fault: "latency=20000" } },
      },
      undefined,
      { signal: controller.signal },
    );
    const deadline = Date.now() + 10_000;
    while (!provider.requests.some((q) => q.fields.prompt === "a slow one") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    const until = Date.now() + 10_000;
    while (s.logs.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.logs.at(-1)).toMatchObject({ event: "cancelled", tool: "generate_image", possibly_billed: true });
    expect(readdirSync(join(s.out, "cancelled"))).toEqual([]);
    // the server goes on serving
    expect((await call(s, "resolve_size", { size: "square" })).structuredContent).toMatchObject({ size: "1024x1024" });
  });

  it("resolve_size tells what a size becomes and why one is refused", async () => {
    const r = await call(s, "resolve_size", { size: "4k-portrait" });
    expect(r.structuredContent).toMatchObject({ legal: true, size: "2160x3840", source: "alias" });
    const no = await call(s, "resolve_size", { size: "1920x1080" });
    expect(no.structuredContent).toMatchObject({ legal: false, nearest: "1920x1088" });
    expect(text(no)).toContain("multiples of 16");
  });

  it("get_job without a Worker route says how to set one up", async () => {
    const r = await call(s, "get_job", { id: "job_abc" });
    expect(text(r)).toMatch(/^error usage: no Worker endpoint: .*gptimg login --endpoint/);
  });
});

describe("gptimg mcp: calls racing on one out", () => {
  it("two calls with the same out both keep their image: the later one is saved under _2 and says so", async () => {
    const g = await gate(provider.url, 2);
    try {
      const s = await serve({ baseUrl: g.url });
      const [a, b] = await Promise.all([
        call(s, "generate_image", { prompt: "first", out: "ok.png" }),
        call(s, "generate_image", { prompt: "second", out: "ok.png" }),
      ]);
      expect(a.isError, text(a)).toBeFalsy();
      expect(b.isError, text(b)).toBeFalsy();
      const paths = [st(a).images[0]!.path, st(b).images[0]!.path];
      expect([...paths].sort()).toEqual([join(s.out, "ok.png"), join(s.out, "ok_2.png")]);
      expect(readdirSync(s.out).sort()).toEqual(["ok.png", "ok_2.png"]);
      for (const [i, r] of [a, b].entries()) expect(statSync(paths[i]!).size).toBe(st(r).images[0]!.bytes);
      // the call that found its name taken names both files, in its structured result and its text
      const moved = paths[0]!.endsWith("ok_2.png") ? a : b;
      const kept = moved === a ? b : a;
      const note = `note: image 1 saved as ${join(s.out, "ok_2.png")}: ${join(s.out, "ok.png")} exists now`;
      expect(st(moved).notes).toEqual([expect.stringContaining(note)]);
      expect(text(moved)).toContain(note);
      expect(st(kept).notes).toBeUndefined();
      noCanary(s, a, b);
    } finally {
      await g.close();
    }
  });

  it("with overwrite, the later call replaces the file as asked", async () => {
    const g = await gate(provider.url, 2);
    try {
      const s = await serve({ baseUrl: g.url });
      const [a, b] = await Promise.all([
        call(s, "generate_image", { prompt: "first", out: "ok.png", overwrite: true }),
        call(s, "generate_image", { prompt: "second", out: "ok.png", overwrite: true }),
      ]);
      expect([st(a).images[0]!.path, st(b).images[0]!.path]).toEqual([join(s.out, "ok.png"), join(s.out, "ok.png")]);
      expect(readdirSync(s.out)).toEqual(["ok.png"]);
      expect(st(a).notes).toBeUndefined();
      expect(st(b).notes).toBeUndefined();
    } finally {
      await g.close();
    }
  });
});

describe("gptimg mcp: the output directory changing during a call", () => {
  it("a directory swapped for a symlink to outside after out was checked is not written through: the image is saved at the top, and the result says why", async () => {
    const outside = tmp("gptimg-mcp-outside-");
    let cats = "";
    // the swap happens while the request is at the provider: after the out check, before the save
    const g = await gate(provider.url, 1, () => {
      renameSync(cats, `${cats}-was`);
      symlinkSync(outside, cats);
    });
    try {
      const s = await serve({ baseUrl: g.url });
      cats = join(s.out, "cats");
      mkdirSync(cats, { recursive: true });
      const r = await call(s, "generate_image", { prompt: "a lighthouse", out: "cats/a.png" });
      expect(r.isError, text(r)).toBeFalsy();
      expect(readdirSync(outside)).toEqual([]);
      const top = join(s.out, "a.png");
      expect(st(r).images[0]?.path).toBe(top);
      expect(statSync(top).size).toBe(st(r).images[0]?.bytes);
      const note = `note: image 1 saved as ${top}, at the top of the output directory instead: output directory ${cats} now leads to ${realpathSync(outside)}, outside the output directory ${s.out} (a symbolic link put there since out was checked); nothing was written there`;
      expect(st(r).notes).toEqual([note]);
      expect(text(r)).toContain(note);
      expect(s.stderr()).toContain(note);
      noCanary(s, r);
    } finally {
      await g.close();
    }
  });

  it("an image that can be saved nowhere (the output directory gone) is returned inline, whatever the cap", async () => {
    let out = "";
    const g = await gate(provider.url, 1, () => renameSync(out, `${out}-gone`));
    try {
      const s = await serve({ baseUrl: g.url, args: ["--max-result-bytes", "16384"] });
      out = s.out;
      mkdirSync(join(out, "cats"), { recursive: true });
      const r = await call(s, "generate_image", { prompt: "a lighthouse", out: "cats/a.png", size: "1024x1024" });
      expect(r.isError, text(r)).toBeFalsy();
      const [img] = st(r).images;
      expect(img).toMatchObject({ unsaved: true, format: "png", width: 1024, height: 1024 });
      expect(img?.path).toBeUndefined();
      expect(img?.uri).toBeUndefined();
      const inline = r.content.filter((c) => c.type === "image");
      expect(inline).toHaveLength(1);
      const bytes = Buffer.from(inline[0]?.type === "image" ? inline[0].data : "", "base64");
      expect(bytes.byteLength).toBe(img?.bytes);
      expect(bytes.subarray(1, 4).toString()).toBe("PNG");
      // the image is bigger than the cap: it goes in all the same, since it has no other copy
      expect(bytesOf(r)).toBeGreaterThan(16384);
      expect(st(r).notes).toEqual([
        `note: image 1 was made but not saved on this machine (output directory ${join(out, "cats")}: no such file or directory (ENOENT); nor at the top of the output directory: output directory ${out}: no such file or directory (ENOENT)); it is inline in this result as image content, its only copy`,
      ]);
      noCanary(s, r);
    } finally {
      await g.close();
    }
  });
});

describe("gptimg mcp limits and entry points", () => {
  it("--max-result-bytes caps every result: previews drop out, links stay", async () => {
    const s = await serve({ args: ["--max-result-bytes", "16384"] });
    const r = await call(s, "generate_image", { prompt: "a big one", n: 3 });
    expect(r.isError).toBeFalsy();
    expect(bytesOf(r)).toBeLessThanOrEqual(16384);
    expect(r.content.filter((c) => c.type === "image")).toHaveLength(0);
    expect(r.content.filter((c) => c.type === "resource_link")).toHaveLength(3);
    expect(st(r).previews).toBe(0);
  });

  it("the source entry serves the same tools", async () => {
    const s = await serve({ source: true });
    const r = await call(s, "generate_image", { prompt: "from source" });
    expect(st(r).images).toHaveLength(1);
    noCanary(s, r);
  });
});
