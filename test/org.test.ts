import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, setup, type TestApp } from "./helpers";

let t: TestApp;
let a: Awaited<ReturnType<TestApp["pair"]>>;
let b: Awaited<ReturnType<TestApp["pair"]>>;

beforeAll(async () => {
  t = await setup();
  a = await t.pair({ level: "city" });
  b = await t.pair({ level: "city" });
});

describe("GET /v1/me", () => {
  it("returns the caller's user, organisation, jurisdiction and labelled roles", async () => {
    const me = a.user("court", "registrar");
    const res = await t.request("/v1/me", { as: me });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe(me.email);
    expect(res.body.organization).toMatchObject({
      id: a.court.id,
      kind: { code: "court", label: { zh: "人民法院" } },
    });
    expect(res.body.jurisdiction.id).toBe(a.jurisdiction.id);
    expect(res.body.roles).toEqual([{ code: "registrar", label: { zh: "收文登记员", en: "Registrar" } }]);
  });
});

describe("GET /v1/users", () => {
  it("lists only the caller's own organisation, paginated", async () => {
    const res = await t.request("/v1/users?limit=4", { as: a.user("proc", "admin") });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(4);
    const next = await t.request(`/v1/users?limit=4&cursor=${res.body.nextCursor}`, {
      as: a.user("proc", "admin"),
    });
    const all = [...res.body.items, ...next.body.items];
    expect(all).toHaveLength(7); // one user per role
    expect(new Set(all.map((u: any) => u.id)).size).toBe(7);
    const ids = new Set(a.people.filter((p) => p.orgId === a.procuratorate.id).map((p) => p.id));
    for (const u of all) expect(ids.has(u.id)).toBe(true);
    expect(next.body.nextCursor).toBeNull();
  });

  it("refuses a handler with 403", async () => {
    expectProblem(await t.request("/v1/users", { as: a.user("court", "handler") }), 403, "forbidden");
  });
});

describe("tenant isolation", () => {
  it("lets a user see its jurisdiction but answers 404 for another pair's", async () => {
    const me = a.user("court", "handler");
    expect((await t.request(`/v1/jurisdictions/${a.jurisdiction.id}`, { as: me })).status).toBe(200);
    expectProblem(await t.request(`/v1/jurisdictions/${b.jurisdiction.id}`, { as: me }), 404, "not_found");
    const list = await t.request("/v1/jurisdictions", { as: me });
    expect(list.body.items.map((j: any) => j.id)).toEqual([a.jurisdiction.id]);
    expect(list.body.items[0].organizations).toHaveLength(2);
  });

  it("shows departments of both institutions of the pair, 404 for another pair's", async () => {
    const me = a.user("proc", "registrar");
    const own = await t.request(`/v1/organizations/${a.court.id}/departments`, { as: me });
    expect(own.status).toBe(200);
    expect(own.body.items.find((d: any) => d.name === "办公室").functions[0]).toEqual({
      code: "general_office",
      label: { zh: "办公室", en: "General office" },
    });
    expectProblem(await t.request(`/v1/organizations/${b.court.id}/departments`, { as: me }), 404);
    expectProblem(await t.request(`/v1/organizations/nonexistent/departments`, { as: me }), 404);
  });

  it("never lists another pair's users", async () => {
    const res = await t.request("/v1/users?limit=200", { as: b.user("court", "admin") });
    const aIds = new Set(a.people.map((p) => p.id));
    expect(res.body.items.some((u: any) => aIds.has(u.id))).toBe(false);
  });

  it("lets a basic-level pair see its city pair and the city see its basic pairs, not siblings", async () => {
    const district = await t.pair({ parentId: a.jurisdiction.id });
    const sibling = await t.pair({ parentId: a.jurisdiction.id });
    const fromDistrict = await t.request("/v1/jurisdictions", { as: district.user("court", "handler") });
    expect(fromDistrict.body.items.map((j: any) => j.id).sort()).toEqual(
      [a.jurisdiction.id, district.jurisdiction.id].sort(),
    );
    expectProblem(
      await t.request(`/v1/jurisdictions/${sibling.jurisdiction.id}`, {
        as: district.user("court", "handler"),
      }),
      404,
    );
    const fromCity = await t.request(`/v1/jurisdictions/${district.jurisdiction.id}`, {
      as: a.user("court", "handler"),
    });
    expect(fromCity.status).toBe(200);
  });
});

describe("POST /v1/organizations/{id}/departments", () => {
  it("lets an admin add a department to its own organisation", async () => {
    const res = await t.request(`/v1/organizations/${a.court.id}/departments`, {
      method: "POST",
      as: a.user("court", "admin"),
      json: { name: "少年家事审判庭", functions: ["trial"] },
    });
    expect(res.status).toBe(201);
    expect(res.body.functions).toEqual([{ code: "trial", label: { zh: "审判业务", en: "Trial division" } }]);
    const list = await t.request(`/v1/organizations/${a.court.id}/departments`, {
      as: a.user("court", "handler"),
    });
    expect(list.body.items.map((d: any) => d.name)).toContain("少年家事审判庭");
  });

  it("answers 409 for a duplicate name and writes nothing", async () => {
    const res = await t.request(`/v1/organizations/${a.court.id}/departments`, {
      method: "POST",
      as: a.user("court", "admin"),
      json: { name: "办公室" },
    });
    expectProblem(res, 409, "department_exists");
  });

  it("answers 403 to a non-admin and to the counterpart's admin, 404 to another pair, writing nothing", async () => {
    const body = { name: "新部门" };
    expectProblem(
      await t.request(`/v1/organizations/${a.court.id}/departments`, {
        method: "POST",
        as: a.user("court", "handler"),
        json: body,
      }),
      403,
    );
    expectProblem(
      await t.request(`/v1/organizations/${a.court.id}/departments`, {
        method: "POST",
        as: a.user("proc", "admin"),
        json: body,
      }),
      403,
    );
    expectProblem(
      await t.request(`/v1/organizations/${a.court.id}/departments`, {
        method: "POST",
        as: b.user("court", "admin"),
        json: body,
      }),
      404,
    );
    const list = await t.request(`/v1/organizations/${a.court.id}/departments`, {
      as: a.user("court", "handler"),
    });
    expect(list.body.items.map((d: any) => d.name)).not.toContain("新部门");
  });
});
