#!/usr/bin/env node
/**
 * Runs the offline provider until SIGINT/SIGTERM.
 *   npx tsx packages/offline-provider/src/main.ts [--port N] [--latency MS] [--api-key K] [--fault SPEC] [--quiet]
 * The first stdout line is `OFFLINE_PROVIDER_URL=http://127.0.0.1:PORT/v1`; request logs go to stderr.
 */
import { parseArgs } from "node:util";
import { parseFaultHeader } from "./faults.ts";
import { startOfflineProvider } from "./server.ts";

const USAGE = `usage: offline-provider [--port N] [--latency MS] [--api-key KEY] [--fault SPEC] [--quiet]
  --port N       TCP port on 127.0.0.1 (default 0: a free port)
  --latency MS   delay before every image or chat response
  --api-key KEY  require Authorization: Bearer KEY
  --fault SPEC   fault applied to every POST, e.g. "latency=500" or "status=503;retry-after=1"
  --quiet        no request log on stderr`;

function fail(message: string): never {
  process.stderr.write(`offline-provider: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function nonNegative(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} ${value}: expected a non-negative integer`);
  return n;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      port: { type: "string" },
      latency: { type: "string" },
      "api-key": { type: "string" },
      fault: { type: "string", multiple: true },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
}
try {
  args = parse();
} catch (e) {
  fail((e as Error).message);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const port = nonNegative("port", args.values.port);
if (port !== undefined && port > 65535) fail(`--port ${port}: expected 0-65535`);
let faults: ReturnType<typeof parseFaultHeader> = [];
try {
  faults = (args.values.fault ?? [])
    .flatMap((f) => parseFaultHeader(f))
    .map((f) => ({ ...f, times: f.times ?? Number.POSITIVE_INFINITY }));
} catch (e) {
  fail(`--fault: ${(e as Error).message}`);
}

// Handlers go in before the server starts: a signal during start-up still stops cleanly.
let provider: Awaited<ReturnType<typeof startOfflineProvider>> | undefined;
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void (provider?.close() ?? Promise.resolve()).then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

provider = await startOfflineProvider({
  port,
  latencyMs: nonNegative("latency", args.values.latency),
  apiKey: args.values["api-key"],
  defaultFaults: faults,
  log: args.values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`OFFLINE_PROVIDER_URL=${provider.url}\n`);
if (stopping) await provider.close();
