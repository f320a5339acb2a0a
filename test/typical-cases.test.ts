// Jointly published typical cases (联合发布案例): drafts of the pair, both leaders co-sign, published to
// a public unauthenticated feed (JSON and Atom) that never shows a draft, a case being signed or a
// withdrawn one, nor any internal field. Through the real app and real libSQL.
import { beforeAll, describe, expect, it } from "vitest";
import {
  atomFeed,
  type EdgeCache,
  edgeCached,
  PublicCaseSchema,
  xmlText,
} from "../src/cases/typical-cases.routes";
import { parseConfig } from "../src/config";
import { expectProblem, setup, type TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let t: TestApp;
let p: Pair;
let other: Pair;
let keyN = 0;

beforeAll(async () => {
  t = await setup();
  p = await t.pair();
  other = await t.pair();
});

const ALL_CHECKED = { names: true, identifiers: true, minors: true, business_secrets: true, victims: true };
const input = (over: Record<string, unknown> = {}) => ({
  kind: "typical",
  title: "某公司非法占用农用地刑事附带民事公益诉讼案",
  caseNumbers: ["(2026)示0102刑初88号"],
  facts: "被告单位某公司未经批准占用林地二十亩……",
  reasoning: "法院认为……",
  significance: "本案明确了生态修复费用的计算方式……",
  tags: ["ecology", "criminal"],
  anonymisation: ALL_CHECKED,
  ...over,
});

const draft = (as = p.user("court", "coordinator"), json: unknown = input(), key = `key-${++keyN}-typical`) =>
  t.request("/v1/typical-cases", { method: "POST", as, json, headers: { "idempotency-key": key } });
const submit = (id: string, as = p.user("court", "coordinator")) =>
  t.request(`/v1/typical-cases/${id}/submit`, { method: "POST", as });
const sign = (cosignId: string, as: { id: string }) =>
  t.request(`/v1/cosignatures/${cosignId}/sign`, { method: "POST", as, json: {} });
const refuse = (cosignId: string, as: { id: string }) =>
  t.request(`/v1/cosignatures/${cosignId}/refuse`, {
    method: "POST",
    as,
    json: { reason: "案情表述需进一步脱敏" },
  });
const withdraw = (id: string, as = p.user("proc", "coordinator")) =>
  t.request(`/v1/typical-cases/${id}/withdraw`, { method: "POST", as, json: { reason: "发现案号有误" } });

/** Drafts, submits and has both leaders sign: a published case. */
async function published(json: unknown = input()) {
  const d = await draft(undefined, json);
  const s = await submit(d.body.id);
  await sign(s.body.cosignature.id, p.user("court", "leader"));
  const done = await sign(s.body.cosignature.id, p.user("proc", "leader"));
  expect(done.status).toBe(200);
  return d.body.id as string;
}

/** What the public sees of a case id: list (ids), detail status, Atom (contains the id). */
async function publicView(id: string) {
  const list = await t.request(`/public/typical-cases?jurisdiction=${p.jurisdiction.code}&limit=100`);
  const detail = await t.request(`/public/typical-cases/${id}`);
  const atom = await t.request(`/public/typical-cases.atom?jurisdiction=${p.jurisdiction.code}`);
  return {
    inList: (list.body.items as { id: string }[]).some((i) => i.id === id),
    detail: detail.status,
    inAtom: String(atom.body).includes(id),
  };
}

const PUBLIC_KEYS = Object.keys(PublicCaseSchema.shape).sort();
const INTERNAL =
  /created_?by|idempotency|request_?hash|anonymi|cosign|jurisdictionId|draftedBy|status|withdraw|updatedAt|createdAt|contentHash/i;

describe("drafting (POST /v1/typical-cases)", () => {
  it("drafts a case with labelled codes, its checklist and a created entry; a retry answers the same case", async () => {
    const key = `key-${++keyN}-retry`;
    const first = await draft(undefined, input(), key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: { code: "draft", label: { zh: "草稿", en: "Draft" } },
      kind: { code: "typical", label: { zh: "典型案例", en: "Typical case" } },
      tags: [
        { code: "ecology", label: { zh: "生态环境和资源保护", en: "Ecology and resources" } },
        { code: "criminal", label: { zh: "刑事", en: "Criminal" } },
      ],
      draftedBy: { id: p.court.id, kind: { code: "court" } },
      publicUrl: null,
      cosignature: null,
    });
    expect(first.body.anonymisation).toHaveLength(5);
    expect(first.body.timeline.map((e: { type: string }) => e.type)).toEqual(["created"]);
    const again = await draft(undefined, input(), key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await draft(undefined, input({ title: "另一个标题" }), key), 409, "idempotency_key_reused");
  });

  it("refuses bad input with 400 validation_failed naming the fields", async () => {
    const res = await draft(undefined, input({ tags: ["not_a_tag"], caseNumbers: [], kind: "x" }));
    expectProblem(res, 400, "validation_failed");
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["tags.0", "caseNumbers", "kind"]));
  });

  it("refuses control characters in the text per field (400), keeping line feeds and tabs", async () => {
    for (const [field, bad] of [
      ["title", "标题\u0000"],
      ["facts", "案情\u001b[31m"],
      ["reasoning", "理由\u0085"],
      ["significance", "意义\uffff"],
      ["facts", "回车\r换行"],
    ] as const) {
      const res = await draft(undefined, input({ [field]: bad }));
      expectProblem(res, 400, "validation_failed");
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    const cn = await draft(undefined, input({ caseNumbers: ["(2026)示0102刑初88号\u0007"] }));
    expect(cn.body.errors.map((e: { path: string }) => e.path)).toEqual(["caseNumbers.0"]);
    const ok = await draft(undefined, input({ facts: "第一段\n\t第二段" }));
    expect(ok.status).toBe(201);
    expect(ok.body.facts).toBe("第一段\n\t第二段");
  });

  it("refuses unknown fields (400 naming them) in the draft, its checklist and the withdrawal", async () => {
    const res = await draft(undefined, input({ status: "published" }));
    expectProblem(res, 400, "validation_failed");
    expect(JSON.stringify(res.body.errors)).toContain("status");
    const check = await draft(undefined, input({ anonymisation: { ...ALL_CHECKED, faces: true } }));
    expectProblem(check, 400, "validation_failed");
    expect(JSON.stringify(check.body.errors)).toContain("faces");
    const id = await published();
    const w = await t.request(`/v1/typical-cases/${id}/withdraw`, {
      method: "POST",
      as: p.user("proc", "coordinator"),
      json: { reason: "有误", publishedAt: null },
    });
    expectProblem(w, 400, "validation_failed");
    expect(JSON.stringify(w.body.errors)).toContain("publishedAt");
  });

  it("is 404 to another pair on every authenticated route", async () => {
    const { body } = await draft();
    const stranger = other.user("court", "coordinator");
    expectProblem(await t.request(`/v1/typical-cases/${body.id}`, { as: stranger }), 404);
    expectProblem(
      await t.request(`/v1/typical-cases/${body.id}`, { method: "PUT", as: stranger, json: input() }),
      404,
    );
    expectProblem(await submit(body.id, stranger), 404);
    expectProblem(await withdraw(body.id, stranger), 404);
    const list = await t.request("/v1/typical-cases?limit=200", { as: stranger });
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(body.id);
  });
});

describe("the co-signature gates", () => {
  it("refuses submission with an unticked anonymisation check, naming it", async () => {
    const { body } = await draft(undefined, input({ anonymisation: { ...ALL_CHECKED, minors: false } }));
    const res = await submit(body.id);
    expectProblem(res, 409, "anonymisation_incomplete");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["anonymisation.minors"]);
    const after = await t.request(`/v1/typical-cases/${body.id}`, { as: p.user("court", "coordinator") });
    expect(after.body.status.code).toBe("draft");
    expect(after.body.cosignature).toBeNull();
  });

  it("opens a round of both leaders; edits wait (409); a non-leader cannot sign; both sign → published", async () => {
    const { body } = await draft(p.user("proc", "department_head"));
    const hidden = { inList: false, detail: 404, inAtom: false };
    expect(await publicView(body.id)).toEqual(hidden);
    const s = await submit(body.id, p.user("proc", "department_head"));
    expect(await publicView(body.id)).toEqual(hidden);
    expect(s.status).toBe(201);
    expect(s.body.status.code).toBe("signing");
    expect(s.body.cosignature.parties.map((x: { role: { code: string } }) => x.role.code)).toEqual([
      "leader",
      "leader",
    ]);
    expect(s.body.cosignature.contentHash).toBe(s.body.contentHash);
    const repeat = await submit(body.id);
    expect(repeat.status).toBe(200);
    expectProblem(
      await t.request(`/v1/typical-cases/${body.id}`, {
        method: "PUT",
        as: p.user("court", "coordinator"),
        json: input({ title: "改" }),
      }),
      409,
      "under_signature",
    );
    expectProblem(await sign(s.body.cosignature.id, p.user("court", "coordinator")), 403);
    expect((await sign(s.body.cosignature.id, p.user("court", "leader"))).status).toBe(200);
    expect(await publicView(body.id)).toEqual(hidden);
    await sign(s.body.cosignature.id, p.user("proc", "leader"));
    const after = await t.request(`/v1/typical-cases/${body.id}`, { as: p.user("court", "auditor") });
    expect(after.body.status.code).toBe("published");
    expect(after.body.publishedAt).toBe(t.clock.now().toISOString());
    expect(after.body.publicUrl).toMatch(new RegExp(`/public/typical-cases/${body.id}$`));
    expect(after.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      "created",
      "cosign_opened",
      "case_published",
    ]);
    expect(await publicView(body.id)).toEqual({ inList: true, detail: 200, inAtom: true });
    // Never silently edited: a published case's text is fixed.
    expectProblem(
      await t.request(`/v1/typical-cases/${body.id}`, {
        method: "PUT",
        as: p.user("court", "coordinator"),
        json: input(),
      }),
      409,
      "published",
    );
  });

  it("a refusal makes it an editable draft again, which can be resubmitted (round 2)", async () => {
    const { body } = await draft();
    const s = await submit(body.id);
    expect((await refuse(s.body.cosignature.id, p.user("proc", "leader"))).status).toBe(200);
    const back = await t.request(`/v1/typical-cases/${body.id}`, { as: p.user("court", "coordinator") });
    expect(back.body.status.code).toBe("draft");
    expect(back.body.timeline.at(-1)).toMatchObject({ type: "refused", note: "案情表述需进一步脱敏" });
    expect(await publicView(body.id)).toEqual({ inList: false, detail: 404, inAtom: false });
    const edited = await t.request(`/v1/typical-cases/${body.id}`, {
      method: "PUT",
      as: p.user("proc", "coordinator"),
      json: input({ facts: "被告单位甲公司……" }),
    });
    expect(edited.status).toBe(200);
    expect(edited.body.facts).toBe("被告单位甲公司……");
    expect(edited.body.contentHash).not.toBe(back.body.contentHash);
    const again = await submit(body.id);
    expect(again.status).toBe(201);
    expect(again.body.cosignature.round).toBe(2);
    expect(again.body.cosignature.contentHash).toBe(edited.body.contentHash);
    expect(await publicView(body.id)).toEqual({ inList: false, detail: 404, inAtom: false });
  });

  it("withdrawal: published only, reason required, gone from the public feed at once", async () => {
    const id = await published();
    expectProblem(
      await t.request(`/v1/typical-cases/${id}/withdraw`, {
        method: "POST",
        as: p.user("proc", "coordinator"),
        json: {},
      }),
      400,
      "validation_failed",
    );
    const res = await withdraw(id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: { code: "withdrawn" }, withdrawReason: "发现案号有误" });
    expect(await publicView(id)).toEqual({ inList: false, detail: 404, inAtom: false });
    expectProblem(await withdraw(id), 409, "already_withdrawn");
    const { body: d } = await draft();
    expectProblem(await withdraw(d.id), 409, "not_published");
  });
});

describe("who withdraws", () => {
  it("a leader or coordinator of either side alone; never a handler or department head (403, nothing changes)", async () => {
    const id = await published();
    for (const who of [
      p.user("court", "handler"),
      p.user("proc", "handler"),
      p.user("proc", "department_head"),
    ]) {
      expectProblem(await withdraw(id, who), 403);
      expect(await publicView(id)).toMatchObject({ detail: 200 });
    }
    const res = await withdraw(id, p.user("court", "leader"));
    expect(res.status).toBe(200);
    expect(res.body.status.code).toBe("withdrawn");
    const other = await published();
    expect((await withdraw(other, p.user("proc", "coordinator"))).status).toBe(200);
    expectProblem(await withdraw(other, p.user("court", "leader")), 409, "already_withdrawn");
  });
});

describe("the public feed", () => {
  it("shows only allow-listed keys in the list and the detail, and 404s like an unknown id", async () => {
    const id = await published();
    const list = await t.request("/public/typical-cases?limit=100");
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toMatch(/^application\/json/);
    for (const item of list.body.items) {
      expect(Object.keys(item).sort()).toEqual(PUBLIC_KEYS);
      expect(JSON.stringify(item)).not.toMatch(INTERNAL);
    }
    const detail = await t.request(`/public/typical-cases/${id}`);
    expect(Object.keys(detail.body).sort()).toEqual(PUBLIC_KEYS);
    expect(Object.keys(detail.body.jurisdiction).sort()).toEqual(["code", "name"]);
    for (const o of detail.body.institutions) expect(Object.keys(o).sort()).toEqual(["kind", "name"]);
    expect(detail.body.institutions.map((o: { name: string }) => o.name).sort()).toEqual(
      [p.court.name, p.procuratorate.name].sort(),
    );
    expect(JSON.stringify(detail.body)).not.toContain(p.user("court", "coordinator").id);
    const { body: d } = await draft();
    const missing = await t.request(`/public/typical-cases/${d.id}`);
    const unknown = await t.request("/public/typical-cases/nope");
    expectProblem(missing, 404);
    expectProblem(unknown, 404);
    expect({ ...missing.body, requestId: 0 }).toEqual({ ...unknown.body, requestId: 0 });
  });

  it("filters by tag, year, kind and jurisdiction, newest first, with a cursor", async () => {
    const a = await published(input({ kind: "reference", tags: ["minors"] }));
    const b = await published(input({ tags: ["minors", "civil"] }));
    const q = `jurisdiction=${p.jurisdiction.code}&tag=minors`;
    const both = await t.request(`/public/typical-cases?${q}`);
    expect(both.body.items.map((i: { id: string }) => i.id)).toEqual([b, a]);
    const ref = await t.request(`/public/typical-cases?${q}&kind=reference`);
    expect(ref.body.items.map((i: { id: string }) => i.id)).toEqual([a]);
    expect((await t.request(`/public/typical-cases?${q}&year=2025`)).body.items).toEqual([]);
    expect((await t.request(`/public/typical-cases?${q}&year=2026`)).body.items).toHaveLength(2);
    const page1 = await t.request(`/public/typical-cases?${q}&limit=1`);
    expect(page1.body.items.map((i: { id: string }) => i.id)).toEqual([b]);
    const page2 = await t.request(`/public/typical-cases?${q}&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((i: { id: string }) => i.id)).toEqual([a]);
    expect(
      (await t.request(`/public/typical-cases?jurisdiction=${other.jurisdiction.code}&tag=minors`)).body
        .items,
    ).toEqual([]);
    expectProblem(await t.request("/public/typical-cases?tag=bogus"), 400, "validation_failed");
    expectProblem(await t.request("/public/typical-cases?cursor=zzz"), 400, "validation_failed");
  });

  it("is cacheable: strong ETag over the body, public Cache-Control, 304 on If-None-Match", async () => {
    await published();
    for (const path of ["/public/typical-cases", "/public/typical-cases.atom"]) {
      const first = await t.request(path);
      const etag = first.headers.get("etag")!;
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(first.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=60");
      const again = await t.request(path, { headers: { "if-none-match": etag } });
      expect(again.status).toBe(304);
      expect(again.body).toBeUndefined();
      expect((await t.request(path)).headers.get("etag")).toBe(etag);
    }
    const atom = await t.request("/public/typical-cases.atom");
    expect(atom.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(atom.body).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/,
    );
  });

  it("is public in OpenAPI (no security)", async () => {
    const doc = (await t.request("/openapi.json")).body;
    for (const path of ["/public/typical-cases", "/public/typical-cases/{id}", "/public/typical-cases.atom"])
      expect(doc.paths[path].get.security).toBeUndefined();
  });
});

describe("Atom writer", () => {
  it("escapes markup and drops characters XML 1.0 cannot carry", () => {
    expect(xmlText(`a & b < c > d " e ' f`)).toBe("a &amp; b &lt; c &gt; d &quot; e &apos; f");
    expect(xmlText("x\u0000y\u0008z\u000b\u001f\uFFFE\uFFFF\uD800!")).toBe("xyz!");
    expect(xmlText("tab\tlf\ncr\r 中文 😀")).toBe("tab\tlf\ncr\r 中文 😀");
    const feed = atomFeed(
      [
        {
          id: "01X",
          url: "https://h/public/typical-cases/01X?a=1&b=2",
          kind: { code: "typical", label: { zh: "典型案例", en: "Typical case" } },
          title: "<script>alert(1)</script> & 案",
          caseNumbers: ["(2026)示1号"],
          facts: "f",
          reasoning: "r",
          significance: "s]]>",
          tags: [{ code: "minors", label: { zh: '未成年人"权益"', en: "" } }],
          publishedAt: "2026-09-01T02:00:00.000Z",
          jurisdiction: { code: "J", name: "J" },
          institutions: [{ name: "A&B法院", kind: { code: "court", label: { zh: "", en: "" } } }],
        },
      ],
      "https://h/public/typical-cases.atom?tag=minors&year=2026",
    );
    expect(feed).toContain(
      '<title type="text">&lt;script&gt;alert(1)&lt;/script&gt; &amp; 案(典型案例)</title>',
    );
    expect(feed).toContain('href="https://h/public/typical-cases/01X?a=1&amp;b=2"');
    expect(feed).toContain('label="未成年人&quot;权益&quot;"');
    expect(feed).toContain("<name>A&amp;B法院</name>");
    expect(feed).toContain("s]]&gt;");
    expect(feed).toContain("<updated>2026-09-01T02:00:00.000Z</updated>");
    expect(feed).not.toMatch(/<script>/);
  });
});

describe("edge cache (the Worker's caches.default, keyed by the URL)", () => {
  const memory = (): EdgeCache & { map: Map<string, Response> } => {
    const map = new Map<string, Response>();
    return {
      map,
      match: async (k) => map.get(k)?.clone(),
      put: async (k, r) => void map.set(k, r),
    };
  };

  it("serves a fresh copy without the app, answers 304 from it, and leaves other paths alone", async () => {
    await published();
    const cache = memory();
    let calls = 0;
    const app = (r: Request) => {
      calls++;
      return t.app.fetch(r);
    };
    const pending: Promise<unknown>[] = [];
    const get = (path: string, headers: Record<string, string> = {}) =>
      edgeCached(new Request(`http://x.test${path}`, { headers }), cache, (p) => pending.push(p), app);
    const miss = await get("/public/typical-cases");
    await Promise.all(pending);
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-edge-cache")).toBe("MISS");
    const missBody = await miss.text();
    const hit = await get("/public/typical-cases");
    expect(hit.headers.get("x-edge-cache")).toBe("HIT");
    expect(await hit.text()).toBe(missBody);
    const etag = hit.headers.get("etag")!;
    const notModified = await get("/public/typical-cases", { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(calls).toBe(1);
    // A first request that revalidates still fills the cache (the app is asked without validators).
    const cold = await get("/public/typical-cases.atom", { "if-none-match": '"stale"' });
    expect(cold.status).toBe(200);
    await Promise.all(pending);
    expect(cache.map.has("http://x.test/public/typical-cases.atom")).toBe(true);
    // A 404 is not kept; an authenticated path is never cached.
    await get("/public/typical-cases/unknown");
    await get("/v1/typical-cases");
    await Promise.all(pending);
    expect([...cache.map.keys()].sort()).toEqual([
      "http://x.test/public/typical-cases",
      "http://x.test/public/typical-cases.atom",
    ]);
    // A request carrying Authorization neither reads nor fills the shared cache.
    const before = calls;
    const authorised = await get("/public/typical-cases", { authorization: "Bearer x" });
    expect(authorised.headers.get("x-edge-cache")).toBeNull();
    expect(authorised.headers.get("cache-control")).toBe("no-store");
    expect(calls).toBe(before + 1);
  });
});

describe("public links and the Host header", () => {
  it("never reflects the request's Host: relative links by default, PUBLIC_ORIGIN when configured", async () => {
    const id = await published();
    const q = `jurisdiction=${p.jurisdiction.code}`;
    const evil = "http://evil.example";
    const list = await t.request(`${evil}/public/typical-cases?${q}`);
    const detail = await t.request(`${evil}/public/typical-cases/${id}`);
    const atom = await t.request(`${evil}/public/typical-cases.atom?${q}`);
    for (const body of [JSON.stringify(list.body), JSON.stringify(detail.body), String(atom.body)])
      expect(body).not.toContain("evil.example");
    expect(detail.body.url).toBe(`/public/typical-cases/${id}`);
    expect(atom.body).toContain(
      `<link rel="self" type="application/atom+xml" href="/public/typical-cases.atom?${q}"/>`,
    );
    // The same answer (and ETag) whatever Host the request names: one cache entry fits every reader.
    const plain = await t.request(`/public/typical-cases/${id}`);
    expect(plain.headers.get("etag")).toBe(detail.headers.get("etag"));
    const config = t.deps.config as { PUBLIC_ORIGIN?: string };
    config.PUBLIC_ORIGIN = "https://cases.example.gov.cn";
    try {
      const configured = await t.request(`${evil}/public/typical-cases/${id}`);
      expect(configured.body.url).toBe(`https://cases.example.gov.cn/public/typical-cases/${id}`);
      const feed = await t.request(`${evil}/public/typical-cases.atom?${q}`);
      expect(feed.body).toContain(`href="https://cases.example.gov.cn/public/typical-cases.atom?${q}"`);
      expect(String(feed.body)).not.toContain("evil.example");
    } finally {
      delete config.PUBLIC_ORIGIN;
    }
  });

  it("takes PUBLIC_ORIGIN as an http(s) origin only", () => {
    const parse = (v: string) => parseConfig({ LIBSQL_URL: "file:x.db", PUBLIC_ORIGIN: v });
    expect(parse("https://cases.example.gov.cn/")).toMatchObject({
      ok: true,
      config: { PUBLIC_ORIGIN: "https://cases.example.gov.cn" },
    });
    for (const bad of ["https://cases.example.gov.cn/feed", "ftp://x.example", "https://u:p@x.example", "x"])
      expect(parse(bad).ok).toBe(false);
    expect(parseConfig({ LIBSQL_URL: "file:x.db" })).toMatchObject({ ok: true, config: {} });
  });

  it("answers a request carrying Authorization with no-store, like every authorised answer", async () => {
    const id = await published();
    for (const path of [
      "/public/typical-cases",
      "/public/typical-cases.atom",
      `/public/typical-cases/${id}`,
    ]) {
      const res = await t.request(path, { as: p.user("court", "coordinator") });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect((await t.request(path)).headers.get("cache-control")).toBe(
        "public, max-age=300, stale-while-revalidate=60",
      );
    }
  });
});
