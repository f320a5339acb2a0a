// The exchanges core (src/exchanges/exchanges.ts) at its edges: creation with Idempotency-Key, the
// guarded change and its refusals (nothing written), lists through the indexes, working-day due dates.
import { countsMakeup, workdaysAfter } from "../src/calendar/calendar.engine";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { Scope } from "../src/auth/scope";
import {
  actOnExchange,
  countQuery,
  createExchange,
  listExchanges,
  listQuery,
  readExchange,
} from "../src/exchanges/exchanges";
import { setup } from "./helpers";

type T = Awaited<ReturnType<typeof setup>>;
let t: T;
let p: Awaited<ReturnType<T["pair"]>>;

const scopeOf = (id: string) => new Scope(t.deps.db, { issuer: "local", sub: id }, "any");

beforeAll(async () => {
  t = await setup();
  p = await t.pair();
});

const values = (title = "关于(2026)京0105民初1号案件虚假诉讼线索的通报") => ({
  subkind: "false_litigation",
  status: "sent",
  title,
  caseNumbers: ["(2026)京0105民初1号"],
});

async function timelineOf(id: string) {
  return t.deps.db.all<{ type: string }>(
    sql`select type from subject_events where subject_id = ${id} order by at, id`,
  );
}

describe("exchanges core", () => {
  it("creates once per Idempotency-Key: a retry returns the row, another body is 409", async () => {
    const s = scopeOf(p.user("court", "registrar").id);
    const input = { a: 1 };
    const first = await createExchange(t.deps, s, {
      kind: "referral",
      key: "core-key-1",
      input,
      values: values(),
    });
    expect(first.created).toBe(true);
    expect(first.row.sender.kind).toBe("court");
    expect(first.row.recipient.kind).toBe("procuratorate");
    expect(first.timeline.map((e) => e.type)).toEqual(["created"]);
    const again = await createExchange(t.deps, s, {
      kind: "referral",
      key: "core-key-1",
      input,
      values: values(),
    });
    expect(again).toMatchObject({ created: false, row: { id: first.row.id } });
    await expect(
      createExchange(t.deps, s, { kind: "referral", key: "core-key-1", input: { a: 2 }, values: values() }),
    ).rejects.toMatchObject({ status: 409, code: "idempotency_key_reused" });
    const rows = await t.deps.db.all<{ n: number }>(
      sql`select count(*) as n from exchanges where idempotency_key = 'core-key-1'`,
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("a change out of order, by the wrong party or by an outsider changes nothing", async () => {
    const court = scopeOf(p.user("court", "registrar").id);
    const proc = scopeOf(p.user("proc", "registrar").id);
    const { row } = await createExchange(t.deps, court, {
      kind: "referral",
      key: "core-key-2",
      input: {},
      values: values(),
    });
    const ack = { event: "acknowledged", party: "recipient", from: ["sent"], to: "acknowledged" } as const;
    await expect(actOnExchange(t.deps, court, "referral", row.id, ack)).rejects.toMatchObject({
      status: 403,
    });
    const other = await t.pair();
    await expect(
      actOnExchange(t.deps, scopeOf(other.user("proc", "registrar").id), "referral", row.id, ack),
    ).rejects.toMatchObject({ status: 404 });
    const done = await actOnExchange(t.deps, proc, "referral", row.id, ack);
    expect(done.row.status).toBe("acknowledged");
    await expect(actOnExchange(t.deps, proc, "referral", row.id, ack)).rejects.toMatchObject({
      status: 409,
      code: "already_acknowledged",
    });
    const handle = { event: "handled", party: "recipient", from: ["acknowledged"], to: "handled" } as const;
    const withdraw = { event: "withdrawn", party: "sender", from: ["sent"], to: "withdrawn" } as const;
    await expect(actOnExchange(t.deps, court, "referral", row.id, withdraw)).rejects.toMatchObject({
      code: "already_acknowledged",
    });
    await actOnExchange(t.deps, proc, "referral", row.id, handle);
    expect((await timelineOf(row.id)).map((e) => e.type)).toEqual(["created", "acknowledged", "handled"]);
    const detail = await readExchange(proc, "referral", row.id);
    expect(detail.row.status).toBe("handled");
  });

  it("lists by direction through the sender and recipient indexes, not a table scan", async () => {
    const s = scopeOf(p.user("proc", "registrar").id);
    const inbox = await listExchanges(s, "referral", { direction: "in", limit: 50 });
    expect(inbox.items.length).toBeGreaterThan(0);
    expect(inbox.items.every((x) => x.recipient.kind === "procuratorate")).toBe(true);
    const out = await listExchanges(s, "referral", { direction: "out", limit: 50 });
    expect(out.items).toHaveLength(0);
    for (const direction of ["in", "out", "both"] as const) {
      const plan = await t.deps.db.all<{ detail: string }>(
        sql`explain query plan ${listQuery(s, "referral", { direction, limit: 5 })}`,
      );
      const text = plan.map((r) => r.detail).join("\n");
      expect(text).not.toMatch(/SCAN x\b/);
      expect(text).toMatch(/exchanges_(sender|recipient)_ix/);
    }
  });

  it("counts through the sender and recipient indexes, not a table scan", async () => {
    const s = scopeOf(p.user("court", "registrar").id);
    const plan = await t.deps.db.all<{ detail: string }>(
      sql`explain query plan ${countQuery(s, "referral", { from: "2026-09-01", to: "2026-09-30" })}`,
    );
    const text = plan.map((r) => r.detail).join("\n");
    expect(text).not.toMatch(/SCAN x\b/);
    expect(text).toMatch(/exchanges_sender_ix/);
    expect(text).toMatch(/exchanges_recipient_ix/);
  });

  it("counts working days after the day of sending, skipping the weekend and holidays", async () => {
    const due = async (start: string, n: number) =>
      (
        await t.deps.db.all<{ d: string }>(
          sql`select ${workdaysAfter(start, n, countsMakeup(p.jurisdiction.id))} as d`,
        )
      )[0]!.d;
    expect(await due("2026-09-04", 3)).toBe("2026-09-09"); // Friday → Wednesday
    expect(await due("2026-09-05", 1)).toBe("2026-09-07"); // sent on Saturday → Monday
    expect(await due("2026-09-29", 3)).toBe("2026-10-09"); // National Day: 09-30, then 10-08, 10-09
  });
});
