// Sign-in and sessions (issue 9): login, throttling, refresh rotation, logout, password change,
// disabling users, the sign-in audit and external identity — through HTTP with real JWTs.
import { describe, expect, it } from "vitest";
import { openSession } from "../src/accounts/sessions";
import { setup } from "./helpers";

describe("openSession", () => {
  it("returns statements that open a session in the caller's batch, and a token pair that works", async () => {
    const t = await setup();
    const p = await t.pair();
    const u = p.user("court", "registrar");
    const s = await openSession(t.deps, { id: u.id, kind: "user", orgId: u.orgId }, t.clock.now());
    await t.deps.db.batch(s.statements as never);
    expect(s.response).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    const res = await t.app.request("/v1/me", {
      headers: { authorization: `Bearer ${s.response.accessToken}` },
    });
    expect(res.status).toBe(200);
  });
});
