import { MODELS } from "./models.ts";
import { json, type Reply } from "./reply.ts";

/** Which handler a request goes to. */
export type Route =
  | { kind: "generation" | "edit"; model?: string }
  | { kind: "chat" }
  | { kind: "models"; id?: string }
  | { kind: "file"; id: string }
  | { kind: "wrong-method"; allow: string }
  | { kind: "not-found" };

/**
 * Routes by suffix so custom paths work too: any path ending in `/generations` or `/edits`
 * (e.g. `/v1/content/models/canvas-20/generations`, whose model becomes the default).
 */
export function route(method: string, path: string): Route {
  const file = /^\/(?:v1\/)?files\/([^/]+?)(?:\/content)?$/.exec(path);
  if (file)
    return method === "GET" || method === "HEAD"
      ? { kind: "file", id: file[1]! }
      : { kind: "wrong-method", allow: "GET" };
  const models = /^\/(?:v1\/)?models(?:\/([^/]+))?$/.exec(path);
  if (models) return method === "GET" ? { kind: "models", id: models[1] } : { kind: "wrong-method", allow: "GET" };
  const image = /\/(generations|edits)$/.exec(path);
  const chat = path.endsWith("/chat/completions");
  if (!image && !chat) return { kind: "not-found" };
  if (method !== "POST") return { kind: "wrong-method", allow: "POST" };
  if (chat) return { kind: "chat" };
  const pathModel = /\/models\/([^/]+)\/(?:generations|edits)$/.exec(path)?.[1];
  return { kind: image![1] === "edits" ? "edit" : "generation", model: pathModel };
}

const CREATED = 1_745_000_000;

/** `GET /v1/models` and `GET /v1/models/<id>`. */
export function modelsReply(id?: string): Reply {
  const card = (m: string) => ({ id: m, object: "model", created: CREATED, owned_by: "offline-provider" });
  if (id === undefined) return json(200, { object: "list", data: MODELS.map((m) => card(m.id)) });
  if (!MODELS.some((m) => m.id === id)) {
    return json(404, {
      error: {
        message: `The model '${id}' does not exist`,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
      },
    });
  }
  return json(200, card(id));
}
