// workerd writes its own reports to the test run's stderr: an error thrown inside a Workflow step
// (the engine retries it, then the Workflow records the failure; the tests assert that outcome),
// a response body cut on purpose after its first byte (the tests assert what the client and the
// row see), and the test runner's socket closing after each file. None of these can be caught
// in the test that causes it, since they are printed by the runtime, not by the Worker's code.
// This keeps exactly those reports out of the console, in .tmp/workerd-reports.log, and prints
// one line with their count; any other report is printed as usual.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What the tests cause on purpose: fakes that fail, providers that cut or garble, sockets that close. */
const EXPECTED: readonly RegExp[] = [
  // the runner's socket and streams the tests cut
  /disconnected: WebSocket peer disconnected/,
  /disconnected: PumpToReader was destroyed/,
  /premature EOF in HTTP entity body/,
  /disconnected: stream disconnected prematurely/,
  // Workflow step errors from the tests' failing callbacks, chat platforms and providers
  /Uncaught \(in promise\); stack = (Error: )?(callback https:\/\/hooks\.test answered \d+|connection to hooks\.test reset)/,
  /Uncaught \(in promise\); stack = Error: (slack|discord|telegram|feishu) [^\n]* failed \(HTTP \d+\)/,
  /Uncaught \(in promise\); stack = RetryableGenerationError: provider_error: /,
  // a b64_json answer the provider cut or garbled after its first byte: the body is cut
  /(Uncaught \(in promise\); stack = Error: |jsg\.Error: )BadResponseError: could not read the response of primary: /,
  /Uncaught \(in promise\); stack = Error: Network connection lost\./,
  /jsg\.Error: Network connection lost\./,
];

/** A native stack printed under a report just kept out: it goes with it. */
const NATIVE_STACK = /^stack: \S*workerd@/;

/** Keeps the expected reports out of the console from now on; the function returned prints their count. */
export function keepRuntimeReportsAside(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "workerd-reports.log");
  writeFileSync(file, "");
  let kept = 0;
  let lastKept = false;
  const wrap = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : undefined;
      const expected =
        text !== undefined && (EXPECTED.some((re) => re.test(text)) || (lastKept && NATIVE_STACK.test(text)));
      lastKept = expected;
      if (!expected) return write(chunk, ...rest);
      kept++;
      appendFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  };
  // left in place to the end: the runner's last socket closes after the global teardown
  wrap(process.stderr);
  wrap(process.stdout);
  return () => {
    if (kept > 0)
      process.stdout.write(
        `workerd: ${kept} report(s) of failures the tests cause on purpose (Workflow step retries, cut answers, closed sockets) are in ${file}\n`,
      );
  };
}
