// The overbooking race: concurrent registrations for a popular training, on the embedded database
// and over HTTP to libSQL (the project's local Hrana endpoint). The status and `seq` are decided by
// the inserting statement itself, so whatever the interleaving: never more seats than capacity or
// quota, arrival order kept (seq contiguous; the confirmed are exactly the first arrivals).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serveDatabase } from "../src/node/db-serve";
import { setup, type TestApp } from "./helpers";
import { bulkUsers, registerAs, statuses, training } from "./registration-fixtures";

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function overHttp(): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-race-"));
  const server = await serveDatabase({ file: join(dir, "race.db"), port: 0 });
  servers.push(server);
  return setup({ env: { LIBSQL_URL: server.url } });
}

for (const [name, make] of [
  ["the embedded database", () => setup()],
  ["libSQL over HTTP (Hrana)", overHttp],
] as const) {
  describe(`concurrent registrations on ${name}`, () => {
    it("200 at once for 50 seats: exactly 50 confirmed and 150 waitlisted, in arrival order", async () => {
      const t = await make();
      const pair = await t.pair();
      const id = await training(t, pair, { capacity: 50 });
      const people = [
        ...(await bulkUsers(t, pair.procuratorate.id, 100)),
        ...(await bulkUsers(t, pair.court.id, 100)),
      ];
      const res = await Promise.all(people.map((p) => registerAs(t, id, p)));
      expect(res.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
      const rows = await statuses(t, id);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(rows.filter((r) => r.status === "confirmed").map((r) => r.seq)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      expect(rows.filter((r) => r.status === "waitlisted")).toHaveLength(150);
      // Each answer told its own truth: the statuses answered are the statuses stored.
      const answered = new Map(res.map((r) => [r.body.id, r.body.status.code]));
      for (const r of rows) expect(answered.get(r.id)).toBe(r.status);
      // Positions of the waitlisted: 1..150 in seq order.
      const last = res.find((r) => r.body.seq === 200)!;
      const me = await t.request(`/v1/registrations/${last.body.id}`, { as: { id: last.body.user.id } });
      expect(me.body.position).toBe(150);
    }, 60_000);

    it("quotas under concurrency: 30 at once from an institution with quota 10 get 10 seats; the other institution keeps its 10", async () => {
      const t = await make();
      const pair = await t.pair();
      const id = await training(t, pair, {
        capacity: 50,
        quotas: { [pair.procuratorate.id]: 10, [pair.court.id]: 10 },
      });
      const a = await bulkUsers(t, pair.procuratorate.id, 30);
      const b = await bulkUsers(t, pair.court.id, 12);
      const res = await Promise.all([...a, ...b].map((p) => registerAs(t, id, p)));
      expect(res.every((r) => r.status === 201)).toBe(true);
      const rows = await statuses(t, id);
      const confirmed = (org: string) =>
        rows.filter((r) => r.org_id === org && r.status === "confirmed").map((r) => r.seq);
      const first = (org: string, n: number) =>
        rows
          .filter((r) => r.org_id === org)
          .slice(0, n)
          .map((r) => r.seq);
      expect(confirmed(pair.procuratorate.id)).toEqual(first(pair.procuratorate.id, 10));
      expect(confirmed(pair.court.id)).toEqual(first(pair.court.id, 10));
      expect(rows.filter((r) => r.status === "waitlisted")).toHaveLength(22);
    }, 60_000);
  });
}
