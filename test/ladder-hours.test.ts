// The escalation ladder in clock hours (unit 'hour'): the step rule at its edges on an injected
// clock, firing at night and on holidays, exactly once, supersession after a missed sweep, and the
// admin route validating offsets in the subject type's unit. The risk alerts' own ladder (its
// notices and audiences) is tested through HTTP in risk-alerts.test.ts.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import {
  hourStepKey,
  ladderErrors,
  type LadderStep,
  stepKey,
  type SubjectSource,
  sweepLadder,
  unitOf,
} from "../src/escalation/ladder";
import { expectProblem, setup } from "./helpers";

/** A China time (UTC+8) as a Date. */
const cst = (at: string) => new Date(`${at}+08:00`);

/** An hour source over one literal subject due at `dueAt` (no effects: the ledger is the rule). */
const oneAlert = (id: string, jurisdictionId: string, dueAt: Date): SubjectSource => ({
  subjectType: "risk_alert",
  unit: "hour",
  open: (horizon) =>
    sql`select ${id} as id, ${jurisdictionId} as jurisdiction_id, 'risk_alert' as kind,
      ${dueAt.toISOString()} as due_at, 1 as version where ${dueAt.toISOString()} <= ${horizon}`,
  effects: () => [],
});

async function world() {
  const t = await setup({ clock: fixedClock("2026-09-30T02:00:00Z") });
  const p = await t.pair();
  let n = 0;
  const ledger = (id: string) =>
    t.deps.db.all<{ step: string; status: string; dueOn: string; createdAt: string }>(
      sql`select step, status, due_on as dueOn, created_at as createdAt from escalation_steps
        where subject_type = 'risk_alert' and subject_id = ${id} order by "offset"`,
    );
  const source = (dueAt: Date) => oneAlert(`hour-test-${++n}`, p.court.jurisdictionId, dueAt);
  return { t, p, ledger, source };
}

describe("hour steps at their edges", () => {
  it("a step is due exactly at due + offset hours, not one second before (negative, zero and positive offsets)", async () => {
    const { t, ledger, source } = await world();
    // Due 2026-10-01 02:30 China time: in the night, on National Day.
    const due = cst("2026-10-01T02:30:00");
    const s = source(due);
    const at = (h: number, ms = 0) => new Date(due.getTime() + h * 3600_000 + ms);

    const id = "hour-test-1";
    await sweepLadder(t.deps, s, at(-1, -1000)); // 01:29:59: nothing yet
    expect(await ledger(id)).toEqual([]);

    await sweepLadder(t.deps, s, at(-1)); // 01:30:00: H-1
    expect((await ledger(id)).map((r) => [r.step, r.status])).toEqual([["H-1", "sent"]]);

    await sweepLadder(t.deps, s, at(0, -1000)); // 02:29:59: still only H-1
    expect((await ledger(id)).map((r) => r.step)).toEqual(["H-1"]);
    await sweepLadder(t.deps, s, at(0)); // 02:30:00: H0
    await sweepLadder(t.deps, s, at(2, -1000)); // 04:29:59
    expect((await ledger(id)).map((r) => r.step)).toEqual(["H-1", "H0"]);
    await sweepLadder(t.deps, s, at(2)); // 04:30:00: H+2
    const rows = await ledger(id);
    expect(rows.map((r) => [r.step, r.status])).toEqual([
      ["H-1", "sent"],
      ["H0", "sent"],
      ["H+2", "sent"],
    ]);
    // The ledger keeps the due instant, and each step's run time is its sweep's.
    expect(rows.map((r) => r.dueOn)).toEqual(Array(3).fill("2026-09-30T18:30:00.000Z"));
    expect(rows.map((r) => r.createdAt)).toEqual([at(-1), at(0), at(2)].map((d) => d.toISOString()));
  });

  it("fires at night and on a holiday, each step once under duplicate sweeps", async () => {
    const { t, ledger, source } = await world();
    const s = source(cst("2026-10-01T02:30:00"));
    for (const at of ["01:30", "01:30", "01:31", "02:30", "02:30", "04:30", "04:30", "09:00"])
      await sweepLadder(t.deps, s, cst(`2026-10-01T${at}:00`));
    expect((await ledger("hour-test-1")).map((r) => [r.step, r.status])).toEqual([
      ["H-1", "sent"],
      ["H0", "sent"],
      ["H+2", "sent"],
    ]);
  });

  it("after a missed sweep the most severe due step is sent and the others are superseded", async () => {
    const { t, ledger, source } = await world();
    const s = source(cst("2026-10-01T02:30:00"));
    const counts = await sweepLadder(t.deps, s, cst("2026-10-01T05:00:00"));
    expect(counts).toMatchObject({ sent: 1, superseded: 2, subjects: 1 });
    expect((await ledger("hour-test-1")).map((r) => [r.step, r.status])).toEqual([
      ["H-1", "superseded"],
      ["H0", "superseded"],
      ["H+2", "sent"],
    ]);
    // They never fire later.
    expect(await sweepLadder(t.deps, s, cst("2026-10-01T06:00:00"))).toMatchObject({
      sent: 0,
      superseded: 0,
    });
  });
});

describe("hour ladders: keys, bounds and the admin route", () => {
  it("names hour steps H-1, H0, H+2 (never T…) and bounds their offsets to -24…168", () => {
    expect([-1, 0, 2].map(hourStepKey)).toEqual(["H-1", "H0", "H+2"]);
    expect([-1, 0, 2].map(stepKey)).toEqual(["T-1", "T0", "T+2"]);
    expect(unitOf("risk_alert")).toBe("hour");
    expect(unitOf("document")).toBe("workday");
    const step = (offset: number): LadderStep => ({ offset, audience: ["recipient_leaders"], urgent: true });
    expect(ladderErrors("risk_alert", [step(-24), step(168)])).toEqual([]);
    expect(ladderErrors("risk_alert", [step(-25), step(169)]).map((e) => e.path)).toEqual([
      "steps.0.offset",
      "steps.1.offset",
    ]);
    expect(ladderErrors("document", [step(61)])).toMatchObject([{ code: "offset_out_of_range" }]);
  });

  it("PUT of a risk-alert ladder takes hours and the sweep follows it; a document's refuses hour offsets", async () => {
    const { t, p, ledger } = await world();
    const admin = p.user("court", "admin");
    const put = (path: string, steps: unknown[], as = admin) =>
      t.request(`/v1/admin/escalation-ladders/${path}`, { method: "PUT", as, json: { steps } });

    const tooEarly = await put("risk_alert/*", [{ offset: -25, audience: ["recipient_leaders"] }]);
    expectProblem(tooEarly, 400, "validation_failed");
    expect(tooEarly.body.errors.map((e: any) => e.path)).toEqual(["steps.0.offset"]);
    const notHis = await put("risk_alert/*", [{ offset: 150, audience: ["handler"] }]);
    expectProblem(notHis, 400, "validation_failed");
    expect(notHis.body.errors.map((e: any) => e.path)).toEqual(["steps.0.audience"]);
    // 100 is a valid hour offset, not a valid working-day one.
    expectProblem(
      await put("document/protest.civil", [{ offset: 100, audience: ["handler"] }], p.user("proc", "admin")),
      400,
      "validation_failed",
    );
    expectProblem(
      await put("risk_alert/protest.civil", [{ offset: 1, audience: ["recipient_leaders"] }]),
      400,
      "validation_failed",
    );
    expectProblem(
      await put("risk_alert/*", [{ offset: 1, audience: ["recipient_leaders"] }], p.user("court", "leader")),
      403,
    );

    // Either institution's admins set it (an alert is raised by either side).
    const ok = await put("risk_alert/*", [
      { offset: 100, audience: ["recipient_leaders"], urgent: true },
      { offset: 0, audience: ["owner_coordinators"] },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ subjectType: "risk_alert", kind: "*", source: "jurisdiction" });
    expect(ok.body.steps.map((s: any) => s.key)).toEqual(["H0", "H+100"]);
    const byProc = await put(
      "risk_alert/*",
      [
        { offset: 0, audience: ["owner_coordinators"] },
        { offset: 100, audience: ["recipient_leaders"], urgent: true },
      ],
      p.user("proc", "admin"),
    );
    expect(byProc.status).toBe(200);

    // The sweep uses the jurisdiction's hour ladder: H+100 is due 100 hours after the due instant.
    const due = cst("2026-10-01T02:30:00");
    const s = oneAlert("hour-own", p.court.jurisdictionId, due);
    await sweepLadder(t.deps, s, new Date(due.getTime() + 99 * 3600_000));
    expect((await ledger("hour-own")).map((r) => [r.step, r.status])).toEqual([["H0", "sent"]]);
    await sweepLadder(t.deps, s, new Date(due.getTime() + 100 * 3600_000));
    expect((await ledger("hour-own")).map((r) => r.step)).toEqual(["H0", "H+100"]);

    const del = await t.request("/v1/admin/escalation-ladders/risk_alert/*", { method: "DELETE", as: admin });
    expect(del.status).toBe(204);
  });
});
