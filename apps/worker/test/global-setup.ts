// Runs in Node before the Workers-runtime tests: starts the offline provider on 127.0.0.1 with the
// canary key, so a request reaches it only with the right Authorization header.
import { join } from "node:path";
import { startOfflineProvider } from "@gptimg/offline-provider";
import type { TestProject } from "vitest/node";
import { TEST_SECRETS } from "../vitest.config.ts";
import { keepRuntimeReportsAside } from "./runtime-reports.ts";

declare module "vitest" {
  export interface ProvidedContext {
    offlineProviderUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const restoreReports = keepRuntimeReportsAside(join(import.meta.dirname, "../.tmp"));
  const provider = await startOfflineProvider({ apiKey: TEST_SECRETS.PROVIDER_API_KEY });
  project.provide("offlineProviderUrl", provider.url);
  return async () => {
    await provider.close();
    restoreReports();
  };
}
