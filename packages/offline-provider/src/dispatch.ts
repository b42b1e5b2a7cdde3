import type { ParsedBody } from "./body.ts";
import { handleChat } from "./chat.ts";
import { HttpError } from "./errors.ts";
import { handleImages } from "./images.ts";
import { jsonEditInputs } from "./json-edit.ts";
import { type FileStore, json, type Mutations, type Reply } from "./reply.ts";
import { modelsReply, type Route } from "./routes.ts";

/** What a route handler may use from the request and the server. */
export interface DispatchContext {
  method: string;
  path: string;
  contentType: string;
  body: ParsedBody;
  mutations: Mutations;
  store: FileStore;
  baseUrl: string;
}

const errorBody = (message: string, code: string | null) => ({
  error: { message, type: "invalid_request_error", param: null, code },
});

/** Runs the handler of a route (after auth and faults were dealt with). */
export async function dispatch(r: Route, c: DispatchContext): Promise<Reply> {
  switch (r.kind) {
    case "generation":
    case "edit": {
      let { fields, files } = c.body;
      if (r.kind === "edit" && !c.contentType.startsWith("multipart/")) {
        // the spec's JSON edit form (EditImageBodyJsonParam); anything else is refused
        if (!/^application\/json/i.test(c.contentType)) {
          throw new HttpError(
            400,
            "Invalid Content-Type header: /images/edits expects multipart/form-data or application/json.",
            { code: "invalid_content_type" },
          );
        }
        ({ fields, files } = await jsonEditInputs(fields, c.store));
      }
      return handleImages({
        kind: r.kind,
        fields,
        files,
        defaultModel: r.model ?? "gpt-image-2",
        mutations: c.mutations,
        store: c.store,
        baseUrl: c.baseUrl,
      });
    }
    case "chat":
      return handleChat(c.body.fields, c.mutations);
    case "models":
      return modelsReply(r.id);
    case "file": {
      const file = c.store.get(r.id);
      return file
        ? { kind: "body", status: 200, headers: { "content-type": file.type }, body: file.bytes }
        : json(404, errorBody(`No such file: '${r.id}'.`, "file_not_found"));
    }
    case "wrong-method":
      return json(
        405,
        errorBody(`Method ${c.method} not allowed on ${c.path}; use ${r.allow}.`, "method_not_allowed"),
        {
          allow: r.allow,
        },
      );
    case "not-found":
      return json(404, errorBody(`Invalid URL (${c.method} ${c.path})`, null));
  }
}
