// Security review: each test reproduces a defect found in review, through HTTP, and guards its fix.
import { importJWK, SignJWT, type JWTPayload } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TOKEN_TYPE } from "../src/auth/jwt";
import worker from "../workers/index";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { guardedFetch } from "../src/node/guarded-fetch";
import { webhookUrlProblem } from "../src/webhooks/url";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;

beforeAll(async () => {
  t = await setup();
  a = await t.pair();
});
afterEach(() => vi.restoreAllMocks());

const epoch = () => Math.floor(t.clock.now().getTime() / 1000);

/** A token signed with the trusted development key, with the given claims. */
async function signed(claims: JWTPayload) {
  return new SignJWT({
    iss: t.config.JWT_ISSUER,
    aud: t.config.JWT_AUDIENCE,
    iat: epoch(),
    exp: epoch() + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: "EdDSA", kid: t.privateJwk.kid, typ: TOKEN_TYPE })
    .sign(await importJWK(t.privateJwk, "EdDSA"));
}

describe("bearer tokens whose sub is not a string", () => {
  it("answer 401 token_claim_invalid with a Bearer challenge, not 500", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const sub of [["x"], { id: a.user("court", "admin").id }, 42, true]) {
      const res = await t.request("/v1/me", {
        headers: { authorization: `Bearer ${await signed({ sub } as unknown as JWTPayload)}` },
      });
      expectProblem(res, 401, "token_claim_invalid");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    }
    expect(errors).not.toHaveBeenCalled();
    // A string subject is still accepted.
    const ok = await t.request("/v1/me", {
      headers: { authorization: `Bearer ${await signed({ sub: a.user("court", "admin").id })}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe("the Worker's config_invalid problem", () => {
  it("carries its request id in X-Request-Id and in the log line, so an operator can find it", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args.join(" ")));
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const res = await worker.fetch(
      new Request("http://worker.test/health"),
      { LIBSQL_URL: "not a url" },
      ctx,
    );
    const body = (await res.json()) as { requestId: string; code: string };
    expectProblem({ status: res.status, headers: res.headers, body }, 500, "config_invalid");
    expect(logged.some((line) => line.includes(body.requestId))).toBe(true);
  });
});

describe("webhook deliveries from the Node host", () => {
  it("never connect to a private address, whatever the host name resolves to", async () => {
    let hits = 0;
    const server = createServer((_req, res) => (hits++, res.end("ok")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    // A resolver that answers like a hostile or intranet DNS: a public-looking name → loopback.
    const lookup = ((
      _host: string,
      options: { all?: boolean },
      cb: (e: Error | null, a: unknown, f?: number) => void,
    ) =>
      options?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) as never;
    try {
      await expect(
        guardedFetch(lookup)(`http://hooks.example.com:${port}/x`, { method: "POST", body: "{}" }),
      ).rejects.toMatchObject({ cause: { code: "EPRIVATEADDRESS" } });
      expect(hits).toBe(0);
      // The same server is reachable when the name is not involved (the refusal is the guard's, not the network's).
      expect((await fetch(`http://127.0.0.1:${port}/x`)).status).toBe(200);
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });

  it("refuses an intranet short name at registration", () => {
    expect(webhookUrlProblem("https://oa/hooks", false)).toMatch(/fully qualified/);
    expect(webhookUrlProblem("https://oa.court.example/hooks", false)).toBeNull();
    expect(webhookUrlProblem("http://oa/hooks", true)).toBeNull();
  });
});
