/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
}

/** What a route answers; the server writes it and applies transport faults (cut, invalid JSON). */
export type Reply =
  | { kind: "body"; status: number; headers: Record<string, string>; body: Buffer | string }
  | {
      kind: "sse";
      /** produced lazily, one at a time, so the server can pace them and memory holds one image */
      events: Array<() => Promise<SseEvent>>;
    };

/** How a fault changes the images and bodies a route produces. */
export interface Mutations {
  /** encode in this format instead of the one asked for (reported as asked) */
  wrongFormat?: import("./types.ts").OutputFormat | true;
  /** render this size instead of the one asked for (reported as asked) */
  wrongSize?: string | true;
  /** incompressible pixels */
  /** true: 40 % of each row random; "photo": 25 %, the size of a real image (see `photo`) */
  noise?: boolean | "photo";
  /** corrupt every base64 string */
  invalidBase64?: boolean;
  /** make the JSON body (or the SSE completed event) unparsable */
  invalidJson?: boolean;
  /** send only the first this-many bytes of each final image: a header, not a whole image */
  truncateImage?: number;
}

/** A JSON reply. */
export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  kind: "body",
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(value),
});

/** Bounded store behind `response_format: "url"`: images served at `GET /v1/files/<id>`. */
export class FileStore {
  private readonly files = new Map<string, { bytes: Buffer; type: string }>();
  private next = 1;
  constructor(private readonly max = 200) {}

  put(bytes: Buffer, type: string, ext: string): string {
    const id = `file-${(this.next++).toString(36)}-${Math.random().toString(36).slice(2, 8)}.${ext}`;
    this.files.set(id, { bytes, type });
    // Oldest first: Map keeps insertion order.
    while (this.files.size > this.max) this.files.delete(this.files.keys().next().value!);
    return id;
  }

  get(id: string): { bytes: Buffer; type: string } | undefined {
    return this.files.get(id);
  }
}
