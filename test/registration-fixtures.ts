// Test factories for trainings and registrations: rows written directly (the events routes are
// another capability), bulk users, and the registration request.
import { sql } from "drizzle-orm";
import type { TestApp } from "./helpers";

type Pair = Awaited<ReturnType<TestApp["pair"]>>;

let n = 0;

export const QUESTIONS = [
  {
    id: "diet",
    type: "single",
    label: { zh: "饮食", en: "Diet" },
    required: true,
    options: ["普通", "清真"],
  },
  { id: "topics", type: "multiple", label: { zh: "议题", en: "Topics" }, options: ["刑事", "民事", "行政"] },
  { id: "note", type: "text", label: { zh: "备注", en: "Note" }, maxLength: 10 },
  { id: "room", type: "yes_no", label: { zh: "住宿", en: "Room" } },
];

/** A published training organised by the pair's court, open now, inviting the procuratorate. */
export async function training(
  t: TestApp,
  pair: Pair,
  o: {
    capacity?: number | null;
    quotas?: Record<string, number | null>;
    approval?: boolean;
    questions?: unknown[];
    opensAt?: string;
    closesAt?: string;
    modifyUntil?: string | null;
    offerHours?: number;
    status?: string;
  } = {},
) {
  const id = t.deps.ids();
  const now = t.clock.now();
  const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();
  await t.deps.db.run(sql`insert into trainings (id, jurisdiction_id, kind, organiser_org_id, title,
      hours_tenths, capacity, status, opens_at, closes_at, modify_until, approval_required, questions,
      offer_hours, created_at, updated_at)
    values (${id}, ${pair.jurisdiction.id}, 'training', ${pair.court.id}, ${`培训${++n}`}, 35,
      ${o.capacity === undefined ? 50 : o.capacity}, ${o.status ?? "published"},
      ${o.opensAt ?? iso(-86_400_000)}, ${o.closesAt ?? iso(7 * 86_400_000)},
      ${o.modifyUntil === undefined ? iso(5 * 86_400_000) : o.modifyUntil}, ${o.approval ? 1 : 0},
      ${JSON.stringify(o.questions ?? [])}, ${o.offerHours ?? 48}, ${now.toISOString()}, ${now.toISOString()})`);
  const quotas = o.quotas ?? { [pair.procuratorate.id]: null };
  for (const [org, quota] of Object.entries(quotas))
    await t.deps.db.run(sql`insert into training_invitations (id, training_id, jurisdiction_id, org_id,
        quota, created_at, updated_at)
      select ${t.deps.ids()}, ${id}, o.jurisdiction_id, o.id, ${quota}, ${now.toISOString()}, ${now.toISOString()}
      from organizations o where o.id = ${org}`);
  return id;
}

/** `count` active users of an organisation (and department), made in one statement. */
export async function bulkUsers(t: TestApp, orgId: string, count: number, departmentId?: string) {
  const tag = `b${++n}x${process.pid}`;
  await t.deps.db.run(sql`with recursive k(i) as (select 1 union all select i + 1 from k where i < ${count})
    insert into users (id, jurisdiction_id, org_id, department_id, email, name, active, created_at)
    select ${tag} || '-' || printf('%05d', i), o.jurisdiction_id, o.id,
      ${departmentId ?? null}, ${tag} || '-' || i || '@bulk.test', '用户' || i, 1, ${t.clock.now().toISOString()}
    from k join organizations o on o.id = ${orgId}`);
  await t.deps.db.run(sql`insert into role_assignments (id, jurisdiction_id, org_id, user_id, role, created_at)
    select u.id || '-r', u.jurisdiction_id, u.org_id, u.id, 'handler', u.created_at
    from users u where u.id like ${`${tag}-%`}`);
  return Array.from({ length: count }, (_, i) => ({ id: `${tag}-${String(i + 1).padStart(5, "0")}` }));
}

let keys = 0;
export const key = () => `key-${process.pid}-${++keys}-registration`;

/** POST /v1/trainings/{id}/registrations as `user`. */
export const registerAs = (
  t: TestApp,
  trainingId: string,
  user: { id: string },
  answers: Record<string, unknown> = {},
  idem = key(),
) =>
  t.request(`/v1/trainings/${trainingId}/registrations`, {
    method: "POST",
    as: user,
    json: { answers },
    headers: { "idempotency-key": idem },
  });

export const statuses = async (t: TestApp, trainingId: string) =>
  t.deps.db.all<{ id: string; seq: number; status: string; user_id: string; org_id: string }>(
    sql`select id, seq, status, user_id, org_id from registrations where training_id = ${trainingId} order by seq`,
  );
