// Endpoint URLs and the addresses they reach: only global unicast addresses are webhook targets,
// unless the deployment allows private ones (ALLOW_PRIVATE_WEBHOOKS, for development, tests and an
// intranet). One classifier, runtime-neutral (no node: imports), judges an address at registration,
// before each delivery and, on the Node host, at the moment a socket connects (src/node/guarded-fetch.ts).
// The special-purpose ranges come from ipaddr.js; an IPv6 address that embeds an IPv4 one (mapped,
// compatible, IPv4-translated, NAT64, 6to4, Teredo) is judged by the embedded address as well as by
// its own form. The WHATWG URL parser normalises IPv4 in any notation (2130706433, 0x7f.1) to
// dotted decimal and IPv6 to its compressed form, so a URL's host reaches the classifier canonical.
import ipaddr from "ipaddr.js";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);

const LABELS: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT",
  private: "private",
  reserved: "reserved",
  uniqueLocal: "unique-local",
  deprecatedSiteLocal: "site-local (deprecated)",
  ipv4Compatible: "IPv4-compatible (deprecated)",
  rfc6145: "IPv4-translated",
  rfc8215: "local-use NAT64",
};
const label = (range: string) => LABELS[range] ?? `special-purpose (${range})`;

function v4Problem(a: IPv4): string | null {
  const range = a.range();
  return range === "unicast" ? null : `${label(range)} address ${a.toString()}`;
}

/** The range of an IPv6 address, with the forms ipaddr.js folds into others told apart. */
function v6Range(a: IPv6): string {
  const p = a.parts;
  const range = a.range() as string;
  if (range === "rfc6052" && p[2] !== 0) return "rfc8215"; // 64:ff9b:1::/48, not the well-known /96
  if (range === "unicast" && p.slice(0, 6).every((x) => x === 0)) return "ipv4Compatible"; // ::a.b.c.d
  return range;
}

/** The IPv4 addresses an IPv6 address carries, by its form. */
function embedded(a: IPv6, range: string): IPv4[] {
  const p = a.parts as [number, number, number, number, number, number, number, number];
  switch (range) {
    case "ipv4Mapped":
    case "ipv4Compatible":
    case "rfc6145":
    case "rfc6052":
      return [v4(p[6], p[7])];
    case "6to4": // 2002:AABB:CCDD::/48
      return [v4(p[1], p[2])];
    case "teredo": // 2001:0:server:server:flags:port:~client:~client
      return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)];
    default:
      return [];
  }
}

/** IPv6 forms that are globally routable, provided what they embed is. */
const GLOBAL_V6 = new Set(["unicast", "rfc6052", "6to4", "teredo"]);

/**
 * Why an IP address (v4 or v6, as a resolver returns it or a URL names it) must not be a webhook
 * target, or null for a global unicast address. Something that is not an IP address is refused.
 */
export function addressProblem(ip: string): string | null {
  let a: IPv4 | IPv6;
  try {
    a = ipaddr.parse(ip.replace(/^\[|\]$/g, ""));
  } catch {
    return `not an IP address: ${ip}`;
  }
  if (a.kind() === "ipv4") return v4Problem(a as IPv4);
  const a6 = a as IPv6;
  // An IPv4-mapped address is the IPv4 address itself (a dual-stack socket connects to it over IPv4).
  if (a6.range() === "ipv4Mapped") return v4Problem(a6.toIPv4Address());
  const range = v6Range(a6);
  for (const inner of embedded(a6, range)) {
    const problem = v4Problem(inner);
    if (problem) return `${a6.toString()} embeds the ${problem}`;
  }
  if (!GLOBAL_V6.has(range)) return `${label(range)} address ${a6.toString()}`;
  // Outside 2000::/3 nothing is allocated as global unicast.
  if (range === "unicast" && (a6.parts[0]! & 0xe000) !== 0x2000)
    return `unallocated address ${a6.toString()}`;
  return null;
}

/** True when a URL host (brackets allowed) is an IP address literal rather than a name. */
export function isIpLiteral(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return ipaddr.IPv6.isValid(h) || ipaddr.IPv4.isValidFourPartDecimal(h);
}

/** Why a webhook URL is refused, or null when it is acceptable. */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:"))
    return "must be an https: URL";
  if (url.username || url.password) return "must not carry credentials";
  if (allowPrivate) return null;
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (isIpLiteral(host)) {
    const problem = addressProblem(host);
    return problem ? `points at a non-public address (${problem})` : null;
  }
  if (host === "localhost" || /\.(localhost|local|internal|lan|home\.arpa)$/.test(host))
    return "points at a local or internal host";
  if (!host.includes(".")) return "must be a fully qualified host name (an intranet short name is internal)";
  return null;
}
