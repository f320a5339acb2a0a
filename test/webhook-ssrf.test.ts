// Webhook targets: only global unicast addresses, judged by one classifier at registration and, on
// the Node host, at connect time, for IP literals and resolved names alike. Connect-time tests go
// through real sockets to a real server on loopback: a refusal is the guard's, not the network's.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedFetch } from "../src/node/guarded-fetch";
import { addressProblem, webhookUrlProblem } from "../src/webhooks/url";

/** URL hosts that must be refused, with what they are. */
const REFUSED: [host: string, what: string][] = [
  // IPv6 forms that embed or translate to a private IPv4 address
  ["[::127.0.0.1]", "IPv4-compatible loopback"],
  ["[::ffff:0:7f00:1]", "IPv4-translated (RFC 6145) loopback"],
  ["[64:ff9b:1::7f00:1]", "local-use NAT64 (RFC 8215)"],
  ["[64:ff9b::7f00:1]", "NAT64 well-known prefix, loopback"],
  ["[64:ff9b::a00:1]", "NAT64 well-known prefix, 10.0.0.1"],
  ["[2002:7f00:1::1]", "6to4 of loopback"],
  ["[2002:c0a8:101::1]", "6to4 of 192.168.1.1"],
  ["[2001:0:4136:e378:8000:63bf:80ff:fffe]", "Teredo, client 127.0.0.1"],
  ["[2001:0:a00:1:8000:63bf:f7f7:f7f7]", "Teredo, server 10.0.0.1"],
  ["[::ffff:127.0.0.1]", "IPv4-mapped loopback"],
  ["[::ffff:a9fe:a9fe]", "IPv4-mapped metadata address"],
  ["[::8.8.8.8]", "IPv4-compatible (deprecated) even of a public address"],
  ["[fec0::1]", "site-local (deprecated)"],
  // IPv4
  ["10.1.2.3", "10/8"],
  ["172.16.0.1", "172.16/12"],
  ["172.31.255.254", "172.16/12"],
  ["192.168.1.10", "192.168/16"],
  ["100.64.0.1", "100.64/10 carrier-grade NAT"],
  ["169.254.169.254", "169.254/16 link-local"],
  ["127.0.0.1", "127/8"],
  ["127.8.9.10", "127/8"],
  ["0.0.0.0", "0/8"],
  ["0.1.2.3", "0/8"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["2130706433", "127.0.0.1 as a number"],
  ["0x7f.1", "127.0.0.1 in hex"],
  ["198.18.0.1", "benchmarking"],
  ["240.0.0.1", "reserved"],
  // IPv6
  ["[::1]", "loopback"],
  ["[::]", "unspecified"],
  ["[fe80::1]", "fe80::/10 link-local"],
  ["[febf::1]", "fe80::/10 link-local"],
  ["[fc00::1]", "fc00::/7 unique-local"],
  ["[fd12:3456::1]", "fc00::/7 unique-local"],
  ["[ff02::1]", "multicast"],
  ["[ff0e::1]", "multicast"],
  ["[2001:db8::1]", "documentation"],
  ["[100::1]", "discard"],
  ["[4000::1]", "outside 2000::/3"],
];

/** URL hosts that must be accepted. */
const ALLOWED = [
  "8.8.8.8",
  "1.1.1.1",
  "203.119.25.1",
  "172.32.0.1",
  "100.128.0.1",
  "[2606:4700:4700::1111]",
  "[2400:3200::1]",
  "[::ffff:8.8.8.8]", // the IPv4 address itself, written as IPv6
  "[64:ff9b::808:808]", // NAT64 of 8.8.8.8
  "[2002:808:808::1]", // 6to4 of 8.8.8.8
  "hooks.example.com",
];

describe("webhook target addresses at registration", () => {
  it.each(REFUSED)("refuses https://%s/ (%s)", (host) => {
    expect(webhookUrlProblem(`https://${host}/x`, false)).toMatch(/non-public address/);
  });

  it.each(ALLOWED)("accepts https://%s/", (host) => {
    expect(webhookUrlProblem(`https://${host}/x`, false)).toBeNull();
  });

  it("allows private targets when the deployment allows them", () => {
    for (const [host] of REFUSED) expect(webhookUrlProblem(`https://${host}/x`, true), host).toBeNull();
  });

  it("judges resolver output the same way (no brackets)", () => {
    expect(addressProblem("::ffff:7f00:1")).toMatch(/loopback/);
    expect(addressProblem("fe80::1%eth0")).toMatch(/link-local/);
    expect(addressProblem("2606:4700:4700::1111")).toBeNull();
    expect(addressProblem("not-an-address")).toMatch(/not an IP/);
  });
});

describe("webhook connections from the Node host", () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => (hits++, res.end("ok")));
    // "::" with dual stack: reachable as 127.0.0.1, ::1 and ::ffff:127.0.0.1 alike.
    await new Promise<void>((resolve) => server.listen(0, "::", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** A resolver that answers like a hostile or intranet DNS: any name → `address`. */
  const resolvingTo = (address: string) =>
    ((_host: string, options: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void) => {
      const family = address.includes(":") ? 6 : 4;
      return options?.all ? cb(null, [{ address, family }]) : cb(null, address, family);
    }) as never;

  const post = (f: typeof fetch, url: string) =>
    f(url, { method: "POST", body: "{}", signal: AbortSignal.timeout(1500) });

  it.each(["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"])(
    "refuses the IP literal %s before connecting, though the server there answers",
    async (host) => {
      const before = hits;
      await expect(post(guardedFetch(), `http://${host}:${port}/x`)).rejects.toMatchObject({
        cause: { code: "EPRIVATEADDRESS" },
      });
      expect(hits).toBe(before);
      // The refusal is the guard's: the same URL is reachable without it.
      expect((await post(fetch, `http://${host}:${port}/x`)).status).toBe(200);
      expect(hits).toBe(before + 1);
    },
  );

  it.each(["127.0.0.1", "::1", "::ffff:7f00:1"])(
    "refuses a public-looking name resolving to %s",
    async (address) => {
      const before = hits;
      await expect(
        post(guardedFetch(resolvingTo(address)), `http://hooks.example.com:${port}/x`),
      ).rejects.toMatchObject({ cause: { code: "EPRIVATEADDRESS" } });
      expect(hits).toBe(before);
    },
  );

  it.each(REFUSED.filter(([h]) => /^\[|^\d+\.\d+\.\d+\.\d+$/.test(h)))(
    "refuses the literal %s at connect time (%s)",
    async (host) => {
      await expect(post(guardedFetch(), `http://${host}:${port}/x`)).rejects.toMatchObject({
        cause: { code: "EPRIVATEADDRESS" },
      });
    },
  );

  it("connects to a name resolving to a global address (the guard lets it through to the socket)", async () => {
    // 192.0.2.x would be refused; a global address that nothing listens on here fails later, at the
    // socket (connection refused or unreachable), not with the guard's EPRIVATEADDRESS.
    const err = await post(guardedFetch(resolvingTo("8.8.8.8")), "http://hooks.example.com:9/x").catch(
      (e) => e as Error & { cause?: { code?: string } },
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as { cause?: { code?: string } }).cause?.code).not.toBe("EPRIVATEADDRESS");
  });
});
