/**
 * Runs the Worker like `wrangler dev` but with wrangler's DevTools inspector proxy off
 * (`unstable_startWorker({ dev: { inspector: false } })`). Used by the memory benchmark: with the
 * inspector on, wrangler's inspector-proxy Worker turns every DevTools `Network.dataReceived`
 * event of a large upstream body into a local HTTP request and a buffered message, so its own
 * workerd process, not the Worker, grows by hundreds of MiB and thousands of sockets.
 * Usage: tsx serve.ts <config> <port> <persist-dir> <env-file> [NAME=value ...]; stops on SIGTERM.
 */
import { unstable_startWorker } from "wrangler";

const [config, port, persist, envFile, ...vars] = process.argv.slice(2);
if (!config || !port || !persist || !envFile)
  throw new Error("usage: serve.ts <config> <port> <persist> <env-file> [NAME=value ...]");
const bindings = Object.fromEntries(
  vars.map((kv) => {
    const at = kv.indexOf("=");
    return [kv.slice(0, at), { type: "plain_text" as const, value: kv.slice(at + 1) }];
  }),
);
const worker = await unstable_startWorker({
  config,
  envFiles: [envFile],
  bindings,
  dev: {
    inspector: false,
    persist,
    watch: false,
    logLevel: "warn",
    server: { hostname: "127.0.0.1", port: Number(port) },
  },
});
await worker.ready;
const stop = () => void worker.dispose().finally(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
