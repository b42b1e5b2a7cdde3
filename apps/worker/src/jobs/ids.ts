/** Random id with a prefix, e.g. `job_3f9a…` (128 bits, hex): unguessable, so ids are safe in URLs. */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${prefix}_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
