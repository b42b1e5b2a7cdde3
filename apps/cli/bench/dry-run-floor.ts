/**
 * The least a dry-run can do, for the start-up benchmark: core alone (no CLI), compiled with
 * gptimg's flags. `import` loads core and runs nothing; `build` builds the generation request;
 * `describe` also describes it and prints it as `gptimg generate --dry-run` does. Its start-up
 * against the hello world is the floor under gptimg's own dry-run on this runtime.
 */
import { buildGenerateRequest, describeRequest } from "@gptimg/core";

const stage = process.argv[2] ?? "describe";
if (stage !== "import") {
  const req = buildGenerateRequest(
    { name: "openai", profile: "openai", apiKey: "bench-key-1" },
    { prompt: "a lighthouse" },
  );
  if (stage === "describe") {
    const d = await describeRequest(req, ["bench-key-1"]);
    console.log(`${d.method} ${d.url}`);
    for (const [k, v] of Object.entries(d.headers)) console.log(`${k}: ${v}`);
    console.log(`\n${JSON.stringify(d.body, null, 2)}`);
  }
}
