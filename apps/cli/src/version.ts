import pkg from "../package.json" with { type: "json" };

// Replaced at build time by `bun build --define GPTIMG_VERSION=...` (scripts/build.ts).
declare const GPTIMG_VERSION: string | undefined;

/** The CLI version: baked into the binary, or the package version when run from source. */
export const VERSION: string = typeof GPTIMG_VERSION === "string" ? GPTIMG_VERSION : `${pkg.version}-dev`;
