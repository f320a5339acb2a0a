// Endpoint URLs: refused when they point at private, loopback, link-local or otherwise internal
// addresses, unless the deployment allows it (ALLOW_PRIVATE_WEBHOOKS, for development and tests).
// The WHATWG URL parser normalises IPv4 in any notation (2130706433, 0x7f.1) to dotted decimal.

function ipv4Private(h: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && Number(m[3]) === 0) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

function ipv6Private(h: string): boolean {
  const x = h.toLowerCase();
  if (x === "::" || x === "::1") return true;
  if (/^f[cd][0-9a-f]{0,2}:/.test(x) || /^fe[89ab][0-9a-f]?:/.test(x) || x.startsWith("ff")) return true;
  // IPv4-mapped / NAT64 forms embed an IPv4 address in the last 32 bits.
  const mapped = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(x);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16),
      lo = parseInt(mapped[2]!, 16);
    return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(x);
  return dotted ? ipv4Private(dotted[1]!) : false;
}

/** True for an IP address (v4 or v6, as a resolver returns it) that is private, loopback or internal. */
export function isPrivateAddress(ip: string): boolean {
  return ipv4Private(ip) || (ip.includes(":") && ipv6Private(ip));
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
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || /\.(localhost|local|internal|lan|home\.arpa)$/.test(host))
    return "points at a local or internal host";
  if (!host.includes(".") && !host.includes(":"))
    return "must be a fully qualified host name (an intranet short name is internal)";
  if (ipv4Private(host) || (host.includes(":") && ipv6Private(host)))
    return "points at a private or loopback address";
  return null;
}
