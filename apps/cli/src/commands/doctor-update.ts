import { networkErrorDetail } from "@gptimg/core";
import type { Io } from "../cli/io.ts";
import { TARGET, VERSION } from "../version.ts";

/** Where releases are downloaded from; GPTIMG_DOWNLOAD_URL replaces it (install.sh reads the same). */
export const RELEASES_URL = "https://github.com/gptimg/gptimg/releases/latest/download";

/** x.y.z as numbers; a pre-release or build suffix is ignored. */
const parts = (v: string): number[] =>
  v
    .split(/[-+]/)[0]!
    .split(".")
    .map((n) => Number.parseInt(n, 10) || 0);
/** a > b by major, minor, patch */
export function newer(a: string, b: string): boolean {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

/**
 * `gptimg doctor --check-update`: reads the latest release's SHA256SUMS (the file install.sh
 * reads) and finds this target's binary name, which carries the version. Only ever run when
 * asked; a failed check is a warning, never a failure of doctor.
 */
export async function updateCheck(io: Io, timeoutMs: number) {
  const base = (io.env.GPTIMG_DOWNLOAD_URL || RELEASES_URL).replace(/\/+$/, "");
  const url = `${base}/SHA256SUMS`;
  const name = "update";
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.any([io.signal, AbortSignal.timeout(timeoutMs)]) });
    if (!res.ok) return { name, status: "warn" as const, detail: `could not check ${url}: HTTP ${res.status}` };
    text = await res.text();
  } catch (e) {
    if (io.signal.aborted) throw e;
    return { name, status: "warn" as const, detail: `could not check ${url}: ${networkErrorDetail(e)}` };
  }
  const suffix = TARGET.startsWith("windows") ? `-${TARGET}.exe` : `-${TARGET}`;
  const latest = text
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[1] ?? "")
    .find((file) => file.startsWith("gptimg-") && file.endsWith(suffix))
    ?.slice("gptimg-".length, -suffix.length);
  if (!latest) return { name, status: "warn" as const, detail: `${url} lists no gptimg binary for ${TARGET}` };
  if (newer(latest, VERSION)) {
    return {
      name,
      status: "warn" as const,
      detail: `gptimg ${latest} is out (this is ${VERSION}): npm i -g gptimg, or run install.sh again`,
    };
  }
  return { name, status: "ok" as const, detail: `${VERSION} is the latest release` };
}
