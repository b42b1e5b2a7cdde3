import {
  type DescribedFile,
  describeRequest,
  type NotFetchedFile,
  type NotFetchedInputs,
  notFetchedText,
} from "@gptimg/core";
import type { Io } from "../cli/io.ts";
import { secrets } from "../cli/secrets.ts";

/**
 * Prints a request without sending it: method and URL, headers (credentials redacted by core's
 * `describeRequest`), then the JSON body or the form fields and files with names and sizes; an
 * input the dry-run did not download shows as its URL where its stand-in is (core says where).
 */
export async function printDryRun(io: Io, req: Request, json: boolean, notFetched?: NotFetchedInputs): Promise<void> {
  const d = await describeRequest(req, secrets(), notFetched);
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
        files?: (DescribedFile | NotFetchedFile)[];
      }
    | undefined;
  if (body && typeof body === "object" && "files" in body && Array.isArray(body.files)) {
    for (const [k, v] of Object.entries(body.fields ?? {})) {
      for (const one of Array.isArray(v) ? v : [v]) io.out(`${k}=${one}`);
    }
    for (const f of body.files) {
      io.out(
        `${f.field}=@${f.filename} (${"notFetched" in f ? notFetchedText(f.notFetched) : `${f.type}, ${f.bytes} bytes`})`,
      );
    }
  } else if (body !== undefined) {
    io.out(JSON.stringify(body, null, 2));
  }
}
