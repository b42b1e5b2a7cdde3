import { defineConfig } from "vitest/config";

export default defineConfig({
  // Decoding 4K payloads and property runs take seconds on a busy machine; every test stays bounded.
  test: { include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 },
});
