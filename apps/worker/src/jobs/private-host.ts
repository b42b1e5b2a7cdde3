/**
 * Hosts a `callback_url` may not name: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, unspecified and multicast addresses, and names that only
 * resolve inside a network. Takes `URL.hostname`, which the URL parser has already canonicalised
 * (`0x7f.1` and `2130706433` are `127.0.0.1`; IPv6 is compressed, lower-case, in brackets).
 * Public names that resolve to private addresses are not caught here: Workers cannot resolve DNS
 * before fetching, and their outbound fetches do not reach private networks.
 */

/** IPv4 ranges as [first octets, prefix length]: RFC 1918, 6598, 3927, 5735, 5771. */
const V4_BLOCKED: [number[], number][] = [
  [[0], 8],
  [[10], 8],
  [[100, 64], 10],
  [[127], 8],
  [[169, 254], 16],
  [[172, 16], 12],
  [[192, 0, 0], 24],
  [[192, 168], 16],
  [[198, 18], 15],
  [[224], 4],
  [[240], 4],
];

const NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);
const NAME_SUFFIXES = [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain"];

function v4Octets(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

function v4Blocked(octets: number[]): boolean {
  const n = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
  return V4_BLOCKED.some(([start, bits]) => {
    const base = (((start[0] ?? 0) << 24) | ((start[1] ?? 0) << 16) | ((start[2] ?? 0) << 8)) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (n & mask) >>> 0 === (base & mask) >>> 0;
  });
}

/** The eight 16-bit groups of a compressed IPv6 address (no brackets), or null. */
function v6Groups(addr: string): number[] | null {
  const halves = addr.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/** The IPv4 address held in two 16-bit groups. */
const v4Of = (hi: number, lo: number): number[] => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];

function v6Blocked(groups: number[]): boolean {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = groups;
  if (a === 0 && b === 0 && c === 0 && d === 0) {
    // ::, ::1, IPv4-mapped ::ffff:a.b.c.d, the deprecated IPv4-compatible ::a.b.c.d, and
    // IPv4-translated ::ffff:0:a.b.c.d
    if (e === 0 && f === 0 && g === 0 && h <= 1) return true;
    if (e === 0 && (f === 0xffff || f === 0)) return v4Blocked(v4Of(g, h));
    if (e === 0xffff && f === 0) return v4Blocked(v4Of(g, h));
  }
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 site local (deprecated, still routed inside some networks)
  if ((a & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  if (a === 0x64 && b === 0xff9b) return v4Blocked(v4Of(g, h)); // NAT64
  if (a === 0x2002) return v4Blocked(v4Of(b, c)); // 6to4 carries an IPv4 address in groups 2-3
  if (a === 0x2001 && b === 0) return true; // 2001:0::/32 Teredo tunnels to an address it hides
  return false;
}

/**
 * Whether `hostname` (as `URL.hostname` gives it) is a loopback, private or otherwise internal
 * address or name.
 * @example
 * isPrivateHost(new URL("https://169.254.169.254/").hostname) // true
 */
export function isPrivateHost(hostname: string): boolean {
  // "localhost.." and "127.0.0.1.." stay names to the URL parser but reach the same hosts
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "" || host.includes("..")) return true;
  if (NAMES.has(host) || NAME_SUFFIXES.some((s) => host.endsWith(s))) return true;
  // a single-label name (https://intranet/) only resolves inside some network
  if (!host.includes(".") && !host.startsWith("[")) return true;
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = v6Groups(host.slice(1, -1));
    // an address we cannot read is refused rather than trusted
    return groups === null || v6Blocked(groups);
  }
  const octets = v4Octets(host);
  return octets !== null && v4Blocked(octets);
}
