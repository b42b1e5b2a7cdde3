import pkg from "../../../package.json" with { type: "json" };

// Replaced at build time by `bun build --define` (scripts/build.ts).
declare const GPTIMG_VERSION: string | undefined;
declare const GPTIMG_COMMIT: string | undefined;
declare const GPTIMG_TARGET: string | undefined;

/**
 * The CLI version: baked into the binary, or the repository's version (root package.json, the
 * one place every package's version comes from) when run from source.
 */
export const VERSION: string = typeof GPTIMG_VERSION === "string" ? GPTIMG_VERSION : `${pkg.version}-dev`;
/** The commit the binary was built from (short hash, "-dirty" with uncommitted changes), or "source". */
export const COMMIT: string = typeof GPTIMG_COMMIT === "string" ? GPTIMG_COMMIT : "source";
/** The release target the binary was built for (linux-x64, darwin-arm64, ...), or this machine's when run from source. */
export const TARGET: string =
  typeof GPTIMG_TARGET === "string"
    ? GPTIMG_TARGET
    : `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;

/** What `gptimg --version` prints: `gptimg 0.1.0 (commit 1a2b3c4d5e6f, linux-x64)`. */
export const versionLine = (): string => `gptimg ${VERSION} (commit ${COMMIT}, ${TARGET})`;
