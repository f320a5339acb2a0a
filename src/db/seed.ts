// The demo data a fresh database starts with (pairs with one user per role, for trying the API and
// for tests); a real pair is created through POST /v1/jurisdictions or `npm run admin`.
import type { Db } from "./client";
import { departments, jurisdictions, organizations, roleAssignments, users } from "./schema";
import { ROLES, type Role } from "../vocab";
import type { IdGen } from "../clock";
import { COURT_DEPARTMENTS, PROCURATORATE_DEPARTMENTS } from "../onboarding/template";

export type PairSpec = {
  code: string;
  name: string;
  level: "city" | "basic";
  parentId?: string | null;
  courtName: string;
  procuratorateName: string;
  /** Local part for user e-mails: `<court|proc>.<role>@<emailDomain>`. */
  emailDomain: string;
};

const PEOPLE: Record<Role, { court: [string, string, string]; proc: [string, string, string] }> = {
  // [name, title, department]
  admin: { court: ["王建国", "信息技术管理员", "办公室"], proc: ["李红梅", "信息技术管理员", "办公室"] },
  registrar: { court: ["陈晓燕", "收文登记员", "办公室"], proc: ["赵丽", "收文登记员", "综合业务部"] },
  handler: { court: ["刘洋", "法官", "民事审判第一庭"], proc: ["孙磊", "检察官", "第六检察部(民事检察)"] },
  department_head: {
    court: ["周明", "庭长", "民事审判第一庭"],
    proc: ["吴静", "部主任", "第六检察部(民事检察)"],
  },
  leader: { court: ["郑国华", "院长", "办公室"], proc: ["钱志强", "检察长", "办公室"] },
  auditor: { court: ["冯敏", "审计员", "审判管理办公室"], proc: ["何平", "审计员", "综合业务部"] },
  coordinator: {
    court: ["许文", "联席会议联络员", "审判管理办公室"],
    proc: ["韩雪", "联席会议联络员", "综合业务部"],
  },
};

/** The rows that onboard one pair: the jurisdiction, both organisations, departments and one user per role. */
export function pairRows(spec: PairSpec, ids: IdGen, now: Date) {
  const createdAt = now.toISOString();
  const jurisdiction = {
    id: ids(),
    code: spec.code,
    name: spec.name,
    level: spec.level,
    parentId: spec.parentId ?? null,
    createdAt,
  };
  const orgs = (["court", "procuratorate"] as const).map((kind) => ({
    id: ids(),
    jurisdictionId: jurisdiction.id,
    kind,
    name: kind === "court" ? spec.courtName : spec.procuratorateName,
    createdAt,
  }));
  const depts = orgs.flatMap((o) =>
    (o.kind === "court" ? COURT_DEPARTMENTS : PROCURATORATE_DEPARTMENTS).map(([name, functions]) => ({
      id: ids(),
      jurisdictionId: jurisdiction.id,
      orgId: o.id,
      name,
      functions,
      createdAt,
    })),
  );
  const people = orgs.flatMap((o) =>
    ROLES.codes.map((role) => {
      const side = o.kind === "court" ? "court" : "proc";
      const [name, title, dept] = PEOPLE[role][side];
      return {
        id: ids(),
        jurisdictionId: jurisdiction.id,
        orgId: o.id,
        departmentId: depts.find((d) => d.orgId === o.id && d.name === dept)!.id,
        email: `${side}.${role}@${spec.emailDomain}`,
        name,
        title,
        createdAt,
        role,
      };
    }),
  );
  const roles = people.map((p) => ({
    id: ids(),
    jurisdictionId: jurisdiction.id,
    orgId: p.orgId,
    userId: p.id,
    role: p.role,
    createdAt,
  }));
  return { jurisdiction, orgs, depts, people, roles };
}

/** Writes a pair in one atomic batch and returns its rows. */
export async function createPair(db: Db, ids: IdGen, now: Date, spec: PairSpec) {
  const rows = pairRows(spec, ids, now);
  await db.batch([
    db.insert(jurisdictions).values(rows.jurisdiction),
    db.insert(organizations).values(rows.orgs),
    db.insert(departments).values(rows.depts),
    db.insert(users).values(rows.people.map(({ role: _r, ...u }) => u)),
    db.insert(roleAssignments).values(rows.roles),
  ]);
  return rows;
}

export const DEMO_CITY: PairSpec = {
  code: "990100",
  name: "示范市",
  level: "city",
  courtName: "示范市中级人民法院",
  procuratorateName: "示范市人民检察院",
  emailDomain: "city.demo",
};

export const DEMO_DISTRICT: Omit<PairSpec, "parentId"> = {
  code: "990102",
  name: "示范市东湖区",
  level: "basic",
  courtName: "示范市东湖区人民法院",
  procuratorateName: "示范市东湖区人民检察院",
  emailDomain: "donghu.demo",
};

/** Seeds the demo pairs when the database has no jurisdiction yet; returns whether it did. */
export async function seedDemoIfEmpty(db: Db, ids: IdGen, now: Date): Promise<boolean> {
  const any = await db.select({ id: jurisdictions.id }).from(jurisdictions).limit(1);
  if (any.length > 0) return false;
  try {
    const city = await createPair(db, ids, now, DEMO_CITY);
    await createPair(db, ids, now, { ...DEMO_DISTRICT, parentId: city.jurisdiction.id });
    return true;
  } catch (e) {
    // Another host seeding the same empty file at the same moment got there first.
    const seeded = await db.select({ id: jurisdictions.id }).from(jurisdictions).limit(1);
    if (seeded.length > 0) return false;
    throw e;
  }
}
