import { describeRequest } from "@gptimg/core";
import type { Io } from "../cli/io.ts";
import { secrets } from "../cli/secrets.ts";

/**
 * Prints a request without sending it: method and URL, headers (credentials redacted by core's
 * `describeRequest`), then the JSON body or the form fields and files with names and sizes.
 */
export async function printDryRun(io: Io, req: Request, json: boolean): Promise<void> {
  const d = await describeRequest(req, secrets());
  if (json) {
    io.out(JSON.stringify({ ok: true, dryRun: true, request: d }));
    return;
  }
  io.out(`${d.method} ${d.url}`);
  for (const [k, v] of Object.entries(d.headers)) io.out(`${k}: ${v}`);
  io.out("");
  const body = d.body as
    | {
        fields?: Record<string, string | string[]>;
        files?: { field: string; filename: string; type: string; bytes: number }[];
      }
    | undefined;
  if (body && typeof body === "object" && "files" in body && Array.isArray(body.files)) {
    for (const [k, v] of Object.entries(body.fields ?? {})) {
      for (const one of Array.isArray(v) ? v : [v]) io.out(`${k}=${one}`);
    }
    for (const f of body.files) io.out(`${f.field}=@${f.filename} (${f.type}, ${f.bytes} bytes)`);
  } else if (body !== undefined) {
    io.out(JSON.stringify(body, null, 2));
  }
}
