/**
 * Copies the image schemas of OpenAI's OpenAPI document into test data, with every schema they
 * reference, so the Worker's responses and SSE events (and the JSON edit bodies tests send) are
 * validated against the spec itself.
 *
 *   tsx scripts/extract-openai-schemas.ts <openai-openapi checkout>/openapi.json <commit>
 *
 * Writes test/spec/openai-images.schema.json. The source is github.com/openai/openai-openapi.
 */
import { readFileSync, writeFileSync } from "node:fs";

const ROOTS = [
  "ImagesResponse",
  "Image",
  "ImagesUsage",
  "ImageGenPartialImageEvent",
  "ImageGenCompletedEvent",
  "ImageEditPartialImageEvent",
  "ImageEditCompletedEvent",
  // the JSON edit form's request body, to validate what tests send
  "EditImageBodyJsonParam",
];

const [specPath, commit] = process.argv.slice(2);
if (!specPath || !commit) {
  console.error("usage: extract-openai-schemas.ts <openapi.json> <commit>");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
  info: { version: string };
  components: { schemas: Record<string, unknown> };
};
const all = spec.components.schemas;
const picked: Record<string, unknown> = {};

/** Adds `name` and everything it references; drops the documentation-only `x-oaiMeta`. */
function pick(name: string): void {
  if (picked[name]) return;
  const schema = all[name];
  if (!schema) throw new Error(`schema ${name} is not in the document`);
  const { "x-oaiMeta": _meta, ...rest } = schema as Record<string, unknown>;
  picked[name] = rest;
  JSON.stringify(rest, (key, value) => {
    if (key === "$ref" && typeof value === "string") pick(value.split("/").at(-1) as string);
    return value;
  });
}
for (const r of ROOTS) pick(r);

const out = {
  $comment: `Copied from github.com/openai/openai-openapi, openapi.json (the same document as openapi.yaml), info.version ${spec.info.version}, commit ${commit}, by scripts/extract-openai-schemas.ts. Schemas unchanged except that x-oaiMeta (examples for the docs) is dropped.`,
  source: { repository: "openai/openai-openapi", path: "openapi.json", version: spec.info.version, commit },
  components: {
    schemas: Object.fromEntries(
      Object.keys(picked)
        .sort()
        .map((k) => [k, picked[k]]),
    ),
  },
};
writeFileSync(new URL("../test/spec/openai-images.schema.json", import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${Object.keys(picked).length} schemas: ${Object.keys(picked).sort().join(", ")}`);
