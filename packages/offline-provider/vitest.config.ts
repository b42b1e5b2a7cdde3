import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Drawing 4K noise PNGs and starting the server under Node and Bun takes seconds on a busy
    // machine; the limits keep a slow run from failing while every test stays bounded.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
