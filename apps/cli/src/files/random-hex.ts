/**
 * `bytes` random bytes as hex, for temp-file names. Web Crypto's global, not node:crypto:
 * importing node:crypto costs every command that writes a file a JIT thread at start-up.
 */
export function randomHex(bytes: number): string {
  let out = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) out += b.toString(16).padStart(2, "0");
  return out;
}
