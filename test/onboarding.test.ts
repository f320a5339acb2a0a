// Onboarding (issue 9): operators, pairs created in one call, invitations, and the five-call walk.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/accounts/password";
import { ROLES } from "../src/vocab";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
beforeAll(async () => {
  t = await setup();
});

let n = 0;
const uniq = () => `${process.pid}x${++n}`;

/** A request with a raw bearer token (one issued by the API itself), counted on `tally` if given. */
async function call(
  path: string,
  token: string | null,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
  tally?: { n: number },
) {
  if (tally) tally.n++;
  const headers: Record<string, string> = { ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  return t.request(path, { method: init.method ?? (init.json ? "POST" : "GET"), headers, json: init.json });
}

const pairBody = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name: `西山${code}`,
  courtName: `西山${code}人民法院`,
  procuratorateName: `西山${code}人民检察院`,
  courtAdmin: { email: `court.admin.${code}@xishan.test`, name: "王立新" },
  procuratorateAdmin: { email: `proc.admin.${code}@xishan.test`, name: "李明" },
  ...extra,
});
const key = () => crypto.randomUUID();
const PASSWORD = "correct horse battery";

async function accept(token: string, tally?: { n: number }, password = PASSWORD) {
  return call("/v1/invitations/accept", null, { json: { token, password } }, tally);
}

describe("POST /v1/jurisdictions", () => {
  it("an operator creates a city pair in one call: departments, first-admin invitations shown once", async () => {
    const op = await t.operator();
    const code = `C${uniq()}`;
    const res = await t.request("/v1/jurisdictions", {
      method: "POST",
      as: op,
      headers: { "idempotency-key": key() },
      json: pairBody(code),
    });
    expect(res.status).toBe(201);
    expect(res.body.jurisdiction).toMatchObject({ code, level: { code: "city" }, parentId: null });
    expect(res.body.jurisdiction.organizations.map((o: any) => o.kind.code)).toEqual([
      "court",
      "procuratorate",
    ]);
    expect(res.body.invitations).toHaveLength(2);
    for (const i of res.body.invitations) {
      expect(i.token).toMatch(/^[\w-]{43}$/);
      expect(i.roles.map((r: any) => r.code)).toEqual(["admin"]);
    }
    // Only the hash is kept.
    const stored = await t.deps.db.all<{ h: string }>(
      sql`select token_hash as h from invitations where id = ${res.body.invitations[0].id}`,
    );
    expect(stored[0]!.h).not.toBe(res.body.invitations[0].token);
    const court = res.body.jurisdiction.organizations[0];
    const depts = await t.deps.db.all<{ name: string; functions: string }>(
      sql`select name, functions from departments where org_id = ${court.id}`,
    );
    expect(depts.find((d) => d.name === "办公室")!.functions).toContain("general_office");
  });

  it("bad input creates nothing: a taken code is 409, a first admin with an account 409, invalid fields 400", async () => {
    const op = await t.operator();
    const demo = await t.pair({ level: "city" });
    const count = async () =>
      (await t.deps.db.all<{ n: number }>(sql`select count(*) as n from jurisdictions`))[0]!.n;
    const before = await count();
    const post = (body: unknown) =>
      t.request("/v1/jurisdictions", {
        method: "POST",
        as: op,
        headers: { "idempotency-key": key() },
        json: body,
      });
    expectProblem(await post(pairBody(demo.jurisdiction.code)), 409, "jurisdiction_code_taken");
    const taken = pairBody(`E${uniq()}`, {
      courtAdmin: { email: demo.user("court", "admin").email },
    });
    const r = await post(taken);
    expectProblem(r, 409, "account_exists");
    expect(r.body.errors[0].path).toBe("courtAdmin.email");
    expectProblem(await post({ ...pairBody(`F${uniq()}`), courtName: "" }), 400, "validation_failed");
    const same = pairBody(`G${uniq()}`);
    same.procuratorateAdmin.email = same.courtAdmin.email;
    expectProblem(await post(same), 400, "validation_failed");
    expect(await count()).toBe(before);
    const invs = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from invitations where email = ${demo.user("court", "admin").email}`,
    );
    expect(invs[0]!.n).toBe(0);
  });

  it("a retry with the same Idempotency-Key answers the same pair with renewed tokens; another body is 409", async () => {
    const op = await t.operator();
    const k = key();
    const body = pairBody(`R${uniq()}`);
    const post = (b: unknown) =>
      t.request("/v1/jurisdictions", { method: "POST", as: op, headers: { "idempotency-key": k }, json: b });
    const first = await post(body);
    expect(first.status).toBe(201);
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.jurisdiction.id).toBe(first.body.jurisdiction.id);
    // The first answer's tokens were superseded by the retry's (the first answer may never have arrived).
    expectProblem(await accept(first.body.invitations[0].token), 404, "invitation_invalid");
    expect((await accept(again.body.invitations[0].token)).status).toBe(201);
    const third = await post(body);
    expect(third.body.invitations[0].token).toBeNull(); // accepted: nothing to renew
    expect(third.body.invitations[1].token).toEqual(expect.any(String));
    expectProblem(await post({ ...body, name: "另一个" }), 409, "idempotency_key_reused");
  });

  it("a retry by a caller who may no longer create the pair (signed out 401, demoted 403) renews no token", async () => {
    const hashes = async (jid: string) =>
      (
        await t.deps.db.all<{ h: string; e: string }>(
          sql`select token_hash as h, expires_at as e from invitations where id like ${`${jid}.%`} order by id`,
        )
      ).map((r) => `${r.h}/${r.e}`);
    // An operator, disabled since its first request.
    const op = await t.operator();
    const k1 = key();
    const body1 = pairBody(`S${uniq()}`);
    const first = await t.request("/v1/jurisdictions", {
      method: "POST",
      as: op,
      headers: { "idempotency-key": k1 },
      json: body1,
    });
    expect(first.status).toBe(201);
    const stored1 = await hashes(first.body.jurisdiction.id);
    expect(stored1).toHaveLength(2);
    await t.deps.db.run(sql`update operators set active = 0 where id = ${op.id}`);
    t.clock.advance(60_000);
    try {
      expectProblem(
        await t.request("/v1/jurisdictions", {
          method: "POST",
          as: op,
          headers: { "idempotency-key": k1 },
          json: body1,
        }),
        401,
      );
      expect(await hashes(first.body.jurisdiction.id)).toEqual(stored1);
      expect((await accept(first.body.invitations[0].token)).status).toBe(201);

      // A city admin who lost the admin role since.
      const city = await t.pair({ level: "city" });
      const admin = city.user("court", "admin");
      const k2 = key();
      const body2 = pairBody(`S${uniq()}`);
      const created = await t.request("/v1/jurisdictions", {
        method: "POST",
        as: admin,
        headers: { "idempotency-key": k2 },
        json: body2,
      });
      expect(created.status).toBe(201);
      const stored2 = await hashes(created.body.jurisdiction.id);
      await t.deps.db.run(sql`delete from role_assignments where user_id = ${admin.id} and role = 'admin'`);
      expectProblem(
        await t.request("/v1/jurisdictions", {
          method: "POST",
          as: admin,
          headers: { "idempotency-key": k2 },
          json: body2,
        }),
        403,
      );
      expect(await hashes(created.body.jurisdiction.id)).toEqual(stored2);
      expect((await accept(created.body.invitations[1].token)).status).toBe(201);
    } finally {
      t.clock.advance(-60_000);
    }
  });

  it("a city admin creates a basic pair under its own jurisdiction, inheriting its defaults", async () => {
    const city = await t.pair({ level: "city" });
    const admin = city.user("court", "admin");
    await t.request(`/v1/jurisdictions/${city.jurisdiction.id}/settings`, {
      method: "PATCH",
      as: admin,
      json: { countMakeupWorkdays: false },
    });
    await t.request("/v1/admin/business-hours", {
      method: "PUT",
      as: admin,
      json: { start: "08:30", end: "17:30" },
    });
    const override = await t.request("/v1/deadline-rules/suggestion.general", {
      method: "PUT",
      as: city.user("proc", "admin"),
      json: { periodDays: 30, source: "本市法检框架意见" },
    });
    expect(override.status).toBeLessThan(300);
    const res = await t.request("/v1/jurisdictions", {
      method: "POST",
      as: admin,
      headers: { "idempotency-key": key() },
      json: pairBody(`B${uniq()}`),
    });
    expect(res.status).toBe(201);
    const jid = res.body.jurisdiction.id;
    expect(res.body.jurisdiction).toMatchObject({ level: { code: "basic" }, parentId: city.jurisdiction.id });
    const [j] = await t.deps.db.all<{ m: number; start: string; rule: number }>(sql`select
      (select count_makeup_workdays from jurisdictions where id = ${jid}) as m,
      (select business_start from delivery_settings where jurisdiction_id = ${jid}) as start,
      (select period_days from deadline_rules where jurisdiction_id = ${jid} and type = 'suggestion.general') as rule`);
    expect(j).toEqual({ m: 0, start: "08:30", rule: 30 });
  });

  it("an operator may name a city parent (a basic pair under it), not a basic one (422) nor an unknown one (404)", async () => {
    const op = await t.operator();
    const city = await t.pair({ level: "city" });
    const basic = await t.pair({ parentId: city.jurisdiction.id });
    const post = (body: unknown) =>
      t.request("/v1/jurisdictions", {
        method: "POST",
        as: op,
        headers: { "idempotency-key": key() },
        json: body,
      });
    const ok = await post(pairBody(`P${uniq()}`, { parentId: city.jurisdiction.id }));
    expect(ok.status).toBe(201);
    expect(ok.body.jurisdiction).toMatchObject({ level: { code: "basic" }, parentId: city.jurisdiction.id });
    expectProblem(
      await post(pairBody(`P${uniq()}`, { parentId: basic.jurisdiction.id })),
      422,
      "parent_not_city",
    );
    expectProblem(await post(pairBody(`P${uniq()}`, { parentId: "01NOSUCHJURISDICTION0000" })), 404);
  });

  it("refuses other callers: a basic-level admin (403), a city non-admin (403), another city as parent (404)", async () => {
    const city = await t.pair({ level: "city" });
    const other = await t.pair({ level: "city" });
    const basic = await t.pair({ parentId: city.jurisdiction.id });
    const sibling = await t.pair({ parentId: city.jurisdiction.id });
    const post = (as: { id: string }, body: unknown) =>
      t.request("/v1/jurisdictions", {
        method: "POST",
        as,
        headers: { "idempotency-key": key() },
        json: body,
      });
    expectProblem(await post(basic.user("court", "admin"), pairBody(`X${uniq()}`)), 403, "forbidden");
    expectProblem(await post(city.user("court", "registrar"), pairBody(`X${uniq()}`)), 403, "forbidden");
    expectProblem(
      await post(city.user("court", "admin"), pairBody(`X${uniq()}`, { parentId: other.jurisdiction.id })),
      404,
    );
    // A basic-level admin sees no sibling pair, and cannot create under one.
    expectProblem(
      await t.request(`/v1/jurisdictions/${sibling.jurisdiction.id}`, { as: basic.user("court", "admin") }),
      404,
    );
    expectProblem(
      await post(basic.user("court", "admin"), pairBody(`X${uniq()}`, { parentId: sibling.jurisdiction.id })),
      404,
    );
    expectProblem(
      await t.request(`/v1/organizations/${sibling.court.id}/invitations`, {
        as: basic.user("court", "admin"),
      }),
      404,
    );
  });
});

describe("invitations", () => {
  async function invite(pair: Awaited<ReturnType<TestApp["pair"]>>, body: Record<string, unknown> = {}) {
    const res = await t.request(`/v1/organizations/${pair.court.id}/invitations`, {
      method: "POST",
      as: pair.user("court", "admin"),
      json: { email: `new.${uniq()}@court.test`, roles: ["handler"], ...body },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  it("accepting creates the user in its organisation, department and roles, signed in at once", async () => {
    const p = await t.pair();
    const dept = p.dept(p.court.id, "民事审判第一庭");
    const inv = await invite(p, {
      name: "赵法官",
      roles: ["handler", "department_head"],
      departmentId: dept.id,
    });
    const res = await accept(inv.token);
    expect(res.status).toBe(201);
    expect(res.body.account).toMatchObject({
      kind: "user",
      email: inv.email,
      name: "赵法官",
      departmentId: dept.id,
      organization: { id: p.court.id },
    });
    const me = await call("/v1/me", res.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body.roles.map((r: any) => r.code).sort()).toEqual(["department_head", "handler"]);
    const audit = await t.deps.db.all<{ kind: string }>(
      sql`select kind from auth_events where detail ->> 'invitationId' = ${inv.id} order by at, id`,
    );
    expect(audit.map((a) => a.kind)).toEqual(["invitation_created", "invitation_accepted"]);
  });

  it("refuses expired, used, revoked and forged tokens, each with its code, and changes nothing", async () => {
    const p = await t.pair();
    const users = async () =>
      (await t.deps.db.all<{ n: number }>(sql`select count(*) as n from users`))[0]!.n;

    const used = await invite(p);
    expect((await accept(used.token)).status).toBe(201);
    const before = await users();
    expectProblem(await accept(used.token), 410, "invitation_used");

    const revoked = await invite(p);
    const del = await t.request(`/v1/organizations/${p.court.id}/invitations/${revoked.id}`, {
      method: "DELETE",
      as: p.user("court", "admin"),
    });
    expect(del.body.status.code).toBe("revoked");
    expectProblem(await accept(revoked.token), 410, "invitation_revoked");

    const forged = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const f = await accept(forged);
    const u = await accept("not-even-a-token");
    expectProblem(f, 404, "invitation_invalid");
    expectProblem(u, 404, "invitation_invalid");
    expect(f.body.detail).toBe(u.body.detail);

    const expiring = await invite(p);
    t.clock.advance(7 * 86_400_000 + 1000);
    try {
      expectProblem(await accept(expiring.token), 410, "invitation_expired");
      const list = await t.request(`/v1/organizations/${p.court.id}/invitations?status=expired`, {
        as: p.user("court", "admin"),
      });
      expect(list.body.items.map((i: any) => i.id)).toEqual([expiring.id]);
    } finally {
      t.clock.advance(-(7 * 86_400_000 + 1000));
    }
    expect(await users()).toBe(before);
    // An accepted invitation cannot be revoked.
    expectProblem(
      await t.request(`/v1/organizations/${p.court.id}/invitations/${used.id}`, {
        method: "DELETE",
        as: p.user("court", "admin"),
      }),
      409,
      "invitation_used",
    );
  });

  it("of two concurrent acceptances of one token exactly one wins", async () => {
    const p = await t.pair();
    const inv = await invite(p);
    const results = await Promise.all([accept(inv.token, undefined, "first password!"), accept(inv.token)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 410]);
    const rows = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from users where email = ${inv.email}`,
    );
    expect(rows[0]!.n).toBe(1);
    const sessions = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from auth_sessions s join users u on u.id = s.account_id where u.email = ${inv.email}`,
    );
    expect(sessions[0]!.n).toBe(1);
  });

  it("validates the department and roles, refuses an e-mail with an account (409), and lists with a cursor", async () => {
    const p = await t.pair();
    const other = await t.pair();
    const admin = p.user("court", "admin");
    const post = (json: unknown, orgId = p.court.id, as: { id: string } = admin) =>
      t.request(`/v1/organizations/${orgId}/invitations`, { method: "POST", as, json });
    expectProblem(
      await post({
        email: "x@y.test",
        roles: ["handler"],
        departmentId: p.dept(p.procuratorate.id, "办公室").id,
      }),
      422,
      "invalid_department",
    );
    expectProblem(await post({ email: "x@y.test", roles: ["judge"] }), 400, "validation_failed");
    expectProblem(
      await post({ email: p.user("court", "leader").email, roles: ["handler"] }),
      409,
      "account_exists",
    );
    // The pair's other institution (visible to the caller) is not its own: 404, as any other.
    expectProblem(await post({ email: "x@y.test", roles: ["handler"] }, p.procuratorate.id), 404);
    expectProblem(await post({ email: "x@y.test", roles: ["handler"] }, other.court.id), 404);
    expectProblem(
      await post({ email: "x@y.test", roles: ["handler"] }, p.court.id, p.user("court", "registrar")),
      403,
    );

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await invite(p)).id);
    const page1 = await t.request(`/v1/organizations/${p.court.id}/invitations?limit=2`, { as: admin });
    expect(page1.body.items.map((i: any) => i.id)).toEqual([ids[2], ids[1]]);
    const page2 = await t.request(
      `/v1/organizations/${p.court.id}/invitations?limit=2&cursor=${page1.body.nextCursor}`,
      { as: admin },
    );
    expect(page2.body.items.map((i: any) => i.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const since = await t.request(
      `/v1/organizations/${p.court.id}/invitations?updatedSince=${encodeURIComponent("2000-01-01T00:00:00Z")}&status=pending`,
      { as: admin },
    );
    expect(since.body.items.map((i: any) => i.id)).toEqual(ids);
    expect(since.body.items[0].status).toMatchObject({ code: "pending", label: { zh: "待接受" } });
  });

  it("refuses a person name with a line break or another control character (400 on the field), creates nothing", async () => {
    const p = await t.pair();
    for (const name of ["张三\r\nBEGIN:VEVENT", "张\n三", "张\u0000三", "张\u2028三"]) {
      const res = await t.request(`/v1/organizations/${p.court.id}/invitations`, {
        method: "POST",
        as: p.user("court", "admin"),
        json: { email: `ctl.${uniq()}@court.test`, roles: ["handler"], name },
      });
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors.map((e: any) => e.path)).toEqual(["name"]);
    }
    const inv = await invite(p, { name: "张三" });
    expectProblem(
      await call("/v1/invitations/accept", null, {
        json: { token: inv.token, password: PASSWORD, name: "张三\rEND:VCALENDAR" },
      }),
      400,
      "validation_failed",
    );
    expect((await accept(inv.token)).body.account.name).toBe("张三");
  });

  it("an organisation's invitations are its own: 404 to every other organisation (even a visible one), 403 to its non-admins", async () => {
    const city = await t.pair({ level: "city" });
    const basic = await t.pair({ parentId: city.jurisdiction.id });
    const list = (orgId: string, as: { id: string }) =>
      t.request(`/v1/organizations/${orgId}/invitations`, { as });
    const create = (orgId: string, as: { id: string }) =>
      t.request(`/v1/organizations/${orgId}/invitations`, {
        method: "POST",
        as,
        json: { email: `x.${uniq()}@y.test`, roles: ["handler"] },
      });
    const cases: [string, { id: string }][] = [
      [basic.procuratorate.id, basic.user("court", "admin")], // the pair's other institution
      [city.court.id, basic.user("court", "admin")], // the city above
      [basic.court.id, city.user("court", "admin")], // the basic pair below
      [basic.court.id, city.user("proc", "admin")],
      [`nope${uniq()}`, basic.user("court", "admin")], // no such organisation
    ];
    for (const [orgId, as] of cases) {
      expectProblem(await list(orgId, as), 404);
      expectProblem(await create(orgId, as), 404);
    }
    // A member of the organisation without the admin role.
    expectProblem(await list(basic.court.id, basic.user("court", "registrar")), 403, "forbidden");
    expectProblem(await create(basic.court.id, basic.user("court", "registrar")), 403, "forbidden");
    expect((await list(basic.court.id, basic.user("court", "admin"))).status).toBe(200);
    expect((await create(basic.court.id, basic.user("court", "admin"))).status).toBe(201);
  });

  it("operators invite operators; an operator account signs in as an operator", async () => {
    const op = await t.operator();
    const email = `op.${uniq()}@ops.test`;
    const inv = await t.request("/v1/operators/invitations", { method: "POST", as: op, json: { email } });
    expect(inv.status).toBe(201);
    const res = await accept(inv.body.token);
    expect(res.status).toBe(201);
    expect(res.body.account).toMatchObject({ kind: "operator", email, organization: null });
    const jobs = await call("/v1/admin/jobs", res.body.accessToken);
    expect(jobs.status).toBe(200);
    expectProblem(await call("/v1/me", res.body.accessToken), 403, "forbidden");
    expectProblem(
      await t.request("/v1/operators/invitations", { method: "POST", as: op, json: { email } }),
      409,
      "account_exists",
    );
  });
});

describe("one e-mail namespace for users and operators", () => {
  const count = async (table: "users" | "operators", email: string) =>
    (
      await t.deps.db.all<{ n: number }>(
        sql`select count(*) as n from ${sql.raw(table)} where email = ${email}`,
      )
    )[0]!.n;

  it("an operator's e-mail cannot be invited as a user nor be a first admin; a user's cannot be invited as an operator", async () => {
    const op = await t.operator();
    const p = await t.pair({ level: "city" });
    const admin = p.user("court", "admin");
    // An institution admin inviting the operator's e-mail (in any case) into its own organisation.
    for (const email of [op.email, op.email.toUpperCase()])
      expectProblem(
        await t.request(`/v1/organizations/${p.court.id}/invitations`, {
          method: "POST",
          as: admin,
          json: { email, roles: ["handler"] },
        }),
        409,
        "account_exists",
      );
    // The operator's e-mail as a first admin: by an operator, and by a city admin.
    for (const as of [op, admin]) {
      const r = await t.request("/v1/jurisdictions", {
        method: "POST",
        as,
        headers: { "idempotency-key": key() },
        json: pairBody(`N${uniq()}`, { procuratorateAdmin: { email: op.email } }),
      });
      expectProblem(r, 409, "account_exists");
      expect(r.body.errors.map((e: any) => e.path)).toEqual(["procuratorateAdmin.email"]);
    }
    // A user's e-mail invited as an operator.
    expectProblem(
      await t.request("/v1/operators/invitations", {
        method: "POST",
        as: op,
        json: { email: p.user("proc", "registrar").email },
      }),
      409,
      "account_exists",
    );
    const invs = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from invitations where email in (${op.email}, ${p.user("proc", "registrar").email})`,
    );
    expect(invs[0]!.n).toBe(0);
    expect(await count("users", op.email)).toBe(0);
  });

  it("accepting an invitation whose e-mail became another kind of account meanwhile is 409 and creates nothing", async () => {
    const op = await t.operator();
    const p = await t.pair();
    const email = `both.${uniq()}@court.test`;
    const userInv = await t.request(`/v1/organizations/${p.court.id}/invitations`, {
      method: "POST",
      as: p.user("court", "admin"),
      json: { email, roles: ["handler"] },
    });
    expect(userInv.status).toBe(201);
    // No account has the e-mail yet, so an operator invitation for it is accepted too…
    const opInv = await t.request("/v1/operators/invitations", { method: "POST", as: op, json: { email } });
    expect(opInv.status).toBe(201);
    expect((await accept(opInv.body.token, undefined, "the operator's own")).status).toBe(201);
    // …and once the operator exists, the user invitation can no longer be taken.
    const before = await t.deps.db.all<{ n: number }>(sql`select
      (select count(*) from users) + (select count(*) from credentials) + (select count(*) from auth_sessions)
        + (select count(*) from role_assignments) as n`);
    expectProblem(
      await accept(userInv.body.token, undefined, "the attacker's password"),
      409,
      "account_exists",
    );
    const after = await t.deps.db.all<{ n: number }>(sql`select
      (select count(*) from users) + (select count(*) from credentials) + (select count(*) from auth_sessions)
        + (select count(*) from role_assignments) as n`);
    expect(after[0]!.n).toBe(before[0]!.n);
    expect(await count("users", email)).toBe(0);
    const inv = await t.deps.db.all<{ acceptedAt: string | null }>(
      sql`select accepted_at as acceptedAt from invitations where id = ${userInv.body.id}`,
    );
    expect(inv[0]!.acceptedAt).toBeNull();
    // The operator still signs in with its own password, and only with it.
    const login = (password: string) =>
      t.request("/v1/auth/login", { method: "POST", json: { email, password } });
    expect((await login("the operator's own")).status).toBe(200);
    expectProblem(await login("the attacker's password"), 401);

    // The other direction: an operator invitation whose e-mail became a user meanwhile.
    const email2 = `both.${uniq()}@court.test`;
    const opInv2 = await t.request("/v1/operators/invitations", {
      method: "POST",
      as: op,
      json: { email: email2 },
    });
    const userInv2 = await t.request(`/v1/organizations/${p.court.id}/invitations`, {
      method: "POST",
      as: p.user("court", "admin"),
      json: { email: email2, roles: ["handler"] },
    });
    expect((await accept(userInv2.body.token)).status).toBe(201);
    expectProblem(await accept(opInv2.body.token), 409, "account_exists");
    expect(await count("operators", email2)).toBe(0);
  });

  it("a database that still holds a user and an operator with one e-mail signs in the older account, always", async () => {
    const op = await t.operator(`legacy.${uniq()}@ops.test`);
    const p = await t.pair();
    const at = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const uid = t.deps.ids();
    // Written directly, as before the namespace was enforced: a newer user shadowing the operator.
    await t.deps.db.batch([
      t.deps.db.run(sql`insert into users (id, jurisdiction_id, org_id, email, name, active, created_at)
        values (${uid}, ${p.jurisdiction.id}, ${p.court.id}, ${op.email}, 'shadow', 1, ${at})`),
      t.deps.db.run(sql`insert into credentials (account_id, password_hash, changed_at)
        values (${op.id}, ${await hashPassword("the operator's own")}, ${at}),
          (${uid}, ${await hashPassword("the shadow's password")}, ${at})`),
    ]);
    const login = (password: string) =>
      t.request("/v1/auth/login", { method: "POST", json: { email: op.email, password } });
    for (let i = 0; i < 2; i++) expect((await login("the operator's own")).status).toBe(200);
    expectProblem(await login("the shadow's password"), 401);
  });
});

describe("the deployment operator", () => {
  it("operator-only routes answer 403 to every tenant role, and a city admin is refused the calendar", async () => {
    const city = await t.pair({ level: "city" });
    const routes: [string, string, unknown?][] = [
      ["PUT", "/v1/calendar/2027", { days: [] }],
      ["GET", "/v1/admin/jobs"],
      ["POST", "/v1/operators/invitations", { email: "someone@ops.test" }],
    ];
    for (const side of ["court", "proc"] as const)
      for (const role of ROLES.codes)
        for (const [method, path, json] of routes)
          expectProblem(await t.request(path, { method, as: city.user(side, role), json }), 403, "forbidden");
    // An operator sees no tenant data through tenant routes.
    const op = await t.operator();
    for (const path of [
      "/v1/me",
      "/v1/documents?box=inbox",
      `/v1/jurisdictions/${city.jurisdiction.id}`,
      "/v1/users",
    ])
      expectProblem(await t.request(path, { as: op }), 403, "forbidden");
    // A disabled operator is 401.
    await t.deps.db.run(sql`update operators set active = 0 where id = ${op.id}`);
    expectProblem(await t.request("/v1/admin/jobs", { as: op }), 401, "unknown_operator");
  });

  it("a calendar change recomputes 示范市's deadlines as a system event naming nobody of another tenant", async () => {
    const city = await t.pair({ level: "city", name: "示范市" });
    t.clock.set("2026-12-01T02:00:00Z");
    const sent = await t.request("/v1/documents", {
      method: "POST",
      as: city.user("proc", "handler"),
      headers: { "idempotency-key": key() },
      json: {
        type: "retrial_suggestion.civil",
        docNumber: "示检民监〔2026〕9号",
        caseNumbers: ["(2026)示01民终9号"],
        caseCategory: "civil",
        title: "再审检察建议",
      },
    });
    expect(sent.status).toBe(201);
    const doc = sent.body.id;
    const rec = await t.request(`/v1/documents/${doc}/receive`, {
      method: "POST",
      as: city.user("court", "registrar"),
      json: { receivedOn: "2026-12-01" },
    });
    expect(rec.status).toBe(200);
    // 2027 not loaded: the deadline (3 months) counts weekends only; the operator loads a holiday on its due day.
    const due = rec.body.dueOn as string;
    const op = await t.operator();
    const put = await t.request("/v1/calendar/2027", {
      method: "PUT",
      as: op,
      json: { days: [{ date: due, kind: "holiday", name: "测试假日" }] },
    });
    expect(put.status).toBe(200);
    const got = await t.request(`/v1/documents/${doc}`, { as: city.user("court", "registrar") });
    const event = got.body.timeline.find((e: any) => e.type === "deadline_recomputed");
    expect(event).toBeDefined();
    expect(event.actor).toBeNull();
    const text = JSON.stringify(got.body);
    expect(text).not.toContain(op.name);
    expect(text).not.toContain(op.id);
    // Restore 2027 for other tests (weekends only again).
    await t.request("/v1/calendar/2027", { method: "PUT", as: op, json: { days: [] } });
    t.clock.set("2026-09-01T02:00:00Z");
  });
});

describe("the five-call walk", () => {
  it("from an operator-created city pair, a city admin creates a basic pair; each side needs ≤ 5 calls to exchange its first document", async () => {
    // The deployment: an operator creates the city pair, whose court admin accepts.
    const op = await t.operator();
    const cityCode = `W${uniq()}`;
    const city = await t.request("/v1/jurisdictions", {
      method: "POST",
      as: op,
      headers: { "idempotency-key": key() },
      json: pairBody(cityCode),
    });
    const cityAdmin = await accept(city.body.invitations[0].token);
    expect(cityAdmin.status).toBe(201);

    // The city admin creates the basic-level pair, with its two first admins.
    const code = `W${uniq()}`;
    const basic = await call("/v1/jurisdictions", cityAdmin.body.accessToken, {
      json: pairBody(code),
      headers: { "idempotency-key": key() },
    });
    expect(basic.status).toBe(201);
    const [courtInvite, procInvite] = basic.body.invitations;

    const proc = { n: 0 };
    const court = { n: 0 };

    // Procuratorate: accept → invite a handler → the handler accepts → send.
    const pa = await accept(procInvite.token, proc);
    expect(pa.status).toBe(201);
    const civil = pa.body.account.departments.find((d: any) => d.name === "第六检察部(民事检察)");
    const ph = await call(
      `/v1/organizations/${pa.body.account.organization.id}/invitations`,
      pa.body.accessToken,
      {
        json: {
          email: `handler.${code}@xishan.test`,
          name: "孙检察官",
          roles: ["handler"],
          departmentId: civil.id,
        },
      },
      proc,
    );
    expect(ph.status).toBe(201);
    const handler = await accept(ph.body.token, proc);
    expect(handler.status).toBe(201);
    const sent = await call(
      "/v1/documents",
      handler.body.accessToken,
      {
        json: {
          type: "retrial_suggestion.civil",
          docNumber: "西检民监〔2026〕1号",
          caseNumbers: ["(2026)示0103民初1号"],
          caseCategory: "civil",
          title: "关于某某纠纷一案的再审检察建议",
        },
        headers: { "idempotency-key": key() },
      },
      proc,
    );
    expect(sent.status).toBe(201);
    expect(sent.body.receivingDepartment.name).toBe("办公室");

    // Court: accept → invite a registrar → the registrar accepts → inbox → receive.
    const ca = await accept(courtInvite.token, court);
    const office = ca.body.account.departments.find((d: any) => d.name === "办公室");
    const cr = await call(
      `/v1/organizations/${ca.body.account.organization.id}/invitations`,
      ca.body.accessToken,
      { json: { email: `registrar.${code}@xishan.test`, roles: ["registrar"], departmentId: office.id } },
      court,
    );
    const registrar = await accept(cr.body.token, court);
    const inbox = await call("/v1/documents?box=inbox", registrar.body.accessToken, {}, court);
    expect(inbox.body.items.map((d: any) => d.id)).toEqual([sent.body.id]);
    const received = await call(
      `/v1/documents/${sent.body.id}/receive`,
      registrar.body.accessToken,
      { json: { receivedOn: sent.body.sentOn } },
      court,
    );
    expect(received.status).toBe(200);
    expect(received.body.status.code).toBe("received");

    expect(proc.n).toBeLessThanOrEqual(5);
    expect(court.n).toBeLessThanOrEqual(5);
    expect([proc.n, court.n]).toEqual([4, 5]);
  });
});
