/** OpenAPI paths and schemas of the console's own routes (session, history, thumbnails). */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { $ref: "#/components/responses/Error" }]));
const str = { type: "string" };
const int = { type: "integer" };
const nullable = (t: string) => ({ type: [t, "null"] });
const q = (name: string, description: string, schema: Record<string, unknown> = str) => ({
  name,
  in: "query",
  description,
  schema,
});
const memberOrSession = [{ member: [] }, { session: [] }];

export const consoleSchemas = {
  ConsoleSession: {
    type: "object",
    required: ["object", "role", "expires_at"],
    properties: {
      object: { const: "console.session" },
      role: { enum: ["member", "admin"] },
      team: str,
      member: str,
      models: { type: ["array", "null"], items: str },
      daily_image_quota: nullable("integer"),
      rpm: nullable("integer"),
      expires_at: { ...int, description: "unix seconds" },
    },
  },
  HistoryEntry: {
    type: "object",
    properties: {
      id: str,
      object: { const: "console.history_entry" },
      kind: { enum: ["generate", "edit"] },
      model: str,
      member: str,
      created_at: int,
      prompt: str,
      requested_size: nullable("string"),
      settings: { type: "object", description: "size, quality, output_format, output_compression, background, n…" },
      cost_usd: nullable("number"),
      images: {
        type: "array",
        items: {
          type: "object",
          properties: {
            index: int,
            format: str,
            width: int,
            height: int,
            bytes: int,
            url: { ...nullable("string"), description: "signed URL of the original" },
            thumbnail_url: { ...str, description: "a WebP of at most 384 px, same origin" },
          },
        },
      },
    },
  },
};

export const consolePaths = {
  "/console/api/session": {
    post: {
      operationId: "consoleSignIn",
      summary:
        "Exchanges a member token or the admin token for a session cookie (HttpOnly, SameSite=Strict, Secure outside localhost, at most 12 h). Must come from the Worker's own origin.",
      security: [],
      requestBody: {
        required: true,
        content: json({ type: "object", required: ["token"], properties: { token: str } }),
      },
      responses: {
        "201": { description: "Signed in; Set-Cookie: gptimg_session", content: json(ref("ConsoleSession")) },
        ...errors(400, 401, 403, 429),
      },
    },
    get: {
      operationId: "consoleSession",
      summary: "Who the session cookie belongs to.",
      security: [{ session: [] }],
      responses: { "200": { description: "The session", content: json(ref("ConsoleSession")) }, ...errors(401) },
    },
    delete: {
      operationId: "consoleSignOut",
      summary: "Ends the session server-side and clears its cookie.",
      security: [{ session: [] }],
      responses: { "204": { description: "Signed out" }, ...errors(403) },
    },
  },
  "/console/api/history": {
    get: {
      operationId: "consoleHistory",
      summary: "The caller's (or team's) stored images, newest first, with signed URLs and thumbnail URLs.",
      security: memberOrSession,
      parameters: [
        q("scope", "member (default) or team", { enum: ["member", "team"] }),
        q("member", "only this member (scope=team)"),
        q("model", "only this model"),
        q("from", "first UTC day, YYYY-MM-DD (a real day, not after to)"),
        q("to", "last UTC day, YYYY-MM-DD (a real day)"),
        q("q", "text the prompt contains (at most 200 characters)"),
        q("limit", "1-96, default 48", int),
        q("cursor", "next_cursor of the previous page"),
      ],
      responses: {
        "200": {
          description: "A page",
          content: json({
            type: "object",
            properties: {
              object: { const: "list" },
              data: { type: "array", items: ref("HistoryEntry") },
              next_cursor: nullable("string"),
            },
          }),
        },
        ...errors(400, 401, 403),
      },
    },
  },
  "/console/api/thumbnails/{job}/{index}": {
    get: {
      operationId: "consoleThumbnail",
      summary: "A WebP thumbnail (at most 384 px) of a stored image of the caller's team, made once and kept in R2.",
      security: memberOrSession,
      parameters: [
        { name: "job", in: "path", required: true, schema: str },
        { name: "index", in: "path", required: true, schema: int },
      ],
      responses: {
        "200": {
          description: "The thumbnail",
          content: { "image/webp": { schema: { type: "string", format: "binary" } } },
        },
        ...errors(401, 404),
      },
    },
  },
  "/": {
    get: {
      operationId: "console",
      summary: "The team console (HTML), with a strict Content-Security-Policy.",
      security: [],
      responses: { "200": { description: "The console page", content: { "text/html": { schema: str } } } },
    },
  },
  "/assets/{file}": {
    get: {
      operationId: "consoleAsset",
      summary: "The console's script and stylesheet, named by content hash (cached for a year).",
      security: [],
      parameters: [{ name: "file", in: "path", required: true, schema: str }],
      responses: { "200": { description: "The asset" }, "404": { description: "No such asset" } },
    },
  },
};
