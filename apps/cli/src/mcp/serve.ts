import { createToolServer } from "@gptimg/mcp-tools";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { FlagValues } from "../cli/flags.ts";
import type { Io } from "../cli/io.ts";
import { VERSION } from "../version.ts";
import { localBackend } from "./backend.ts";

export interface ServeOptions {
  /** the server's own flags: route, credentials, config (each call reads settings afresh) */
  values: FlagValues;
  io: Io;
  /** absolute directory images are saved under */
  outDir: string;
  resultCap: number;
}

/** Serves the tools on stdin/stdout; resolves when the client closes the connection. */
export async function serveStdio(o: ServeOptions): Promise<void> {
  const server = createToolServer(localBackend(o), {
    name: "gptimg",
    version: VERSION,
    resultCap: o.resultCap,
    onCancelled: (tool, f) =>
      o.io.err(`note: ${tool} cancelled${f.possiblyBilled ? "; the request may have been billed" : ""}`),
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    server.onclose = () => done();
    // a client that exits without closing still ends the server
    process.stdin.once("end", () => done());
  });
  await server.connect(transport);
  o.io.err(`gptimg mcp ${VERSION}: serving on stdio; images go to ${o.outDir}`);
  await closed;
  await server.close().catch(() => undefined);
}
