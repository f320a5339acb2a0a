// `npm run admin -- <command>`: bootstraps a real deployment against the embedded database
// (data/fajian.db) or any LIBSQL_URL, after applying the migrations. It prints one-time invitation
// tokens; the same service functions as the API's routes write the rows (one mechanism).
//
//   create-operator <email> [name]
//   create-city-pair --code 320100 --name 南京市 --court 南京市中级人民法院 --procuratorate 南京市人民检察院
//                    --court-admin <email> --procuratorate-admin <email>
//                    [--court-admin-name …] [--procuratorate-admin-name …]
//                    [--court-admin-roles registrar,handler] [--procuratorate-admin-roles …]
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { systemClock, ulidGen } from "../clock";
import { invitationExpiry, insertInvitation, newInvitationToken } from "../onboarding/invitations.service";
import { pairStatements, type FirstAdmin } from "../onboarding/pairs.service";
import { ApiError } from "../http/problem";
import { ROLES, type Role } from "../vocab";
import { dbUrl, migrateDb, openDb } from "./local";

const USAGE = `usage: npm run admin -- create-operator <email> [name]
       npm run admin -- create-city-pair --code <code> --name <name> --court <court name>
           --procuratorate <procuratorate name> --court-admin <email> --procuratorate-admin <email>
           [--court-admin-name <name>] [--procuratorate-admin-name <name>]
           [--court-admin-roles registrar,handler] [--procuratorate-admin-roles …]
Against LIBSQL_URL (default: the embedded data/fajian.db); migrates first. Prints one-time tokens:
each invitee accepts with POST /v1/invitations/accept { token, password } within 7 days.`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const email = (what: string, v: string | undefined) => {
  const r = z.email().max(254).safeParse(v);
  if (!r.success) fail(`${what}: not an e-mail address: ${v ?? "(missing)"}\n\n${USAGE}`);
  return r.data.toLowerCase();
};

const roles = (what: string, v: string | undefined): Role[] => {
  const list = v ? v.split(",").map((s) => s.trim()) : [];
  const bad = list.filter((r) => !(ROLES.codes as readonly string[]).includes(r));
  if (bad.length) fail(`${what}: unknown roles ${bad.join(", ")} (roles: ${ROLES.codes.join(", ")})`);
  return list as Role[];
};

const [command, ...rest] = process.argv.slice(2);
if (command !== "create-operator" && command !== "create-city-pair") fail(USAGE);

const url = dbUrl(process.env);
const db = openDb(url, process.env.LIBSQL_AUTH_TOKEN);
const deps = { db, clock: systemClock, ids: ulidGen(systemClock) };
const where = url.replace(/\/\/[^@/]*@/, "//***@");
// Where the server listens, as `npm run dev`/`npm start` read it (PORT, HOST); the API's public
// address may differ (a proxy, a Worker), so this is only an example.
const host = ((h) => (!h || h === "0.0.0.0" || h === "::" ? "127.0.0.1" : h.includes(":") ? `[${h}]` : h))(
  process.env.HOST,
);
const base = `http://${host}:${process.env.PORT || 8787}`;
const accept = (token: string) =>
  `  curl -s ${base}/v1/invitations/accept -H 'Content-Type: application/json' \\\n` +
  `    -d '{"token": "${token}", "password": "<at least 12 characters>"}'`;

try {
  await migrateDb(db);
  if (command === "create-operator") {
    const [address, ...name] = rest;
    if (!address || address.startsWith("-")) fail(USAGE);
    const now = deps.clock.now();
    const { token, tokenHash } = await newInvitationToken();
    const id = deps.ids();
    const results = await db.batch([
      ...insertInvitation(
        deps,
        {
          id,
          kind: "operator",
          email: email("email", address),
          name: name.join(" ") || null,
          roles: [],
          departmentId: null,
          tokenHash,
          expiresAt: invitationExpiry(now),
          createdAt: now.toISOString(),
          createdBy: null,
        },
        null,
        // `npm run admin` is run by whoever holds the database: no caller to check.
        // (An account with this e-mail already, operator or user: the insert writes nothing.)
        sql`1`,
      ),
    ]);
    if (results[0].rowsAffected === 0)
      fail(`an account (operator or user) with e-mail ${address} exists already in ${where}`, 1);
    console.log(`operator invitation for ${address.toLowerCase()} (valid 7 days, once), in ${where}:\n`);
    console.log(`token: ${token}\n\naccept it (the server running), e.g.:\n${accept(token)}`);
  } else {
    const { values } = parseArgs({
      args: rest,
      options: Object.fromEntries(
        [
          "code",
          "name",
          "court",
          "procuratorate",
          "court-admin",
          "procuratorate-admin",
          "court-admin-name",
          "procuratorate-admin-name",
          "court-admin-roles",
          "procuratorate-admin-roles",
        ].map((k) => [k, { type: "string" as const }]),
      ),
      strict: true,
    });
    const v = values as Record<string, string | undefined>;
    for (const k of ["code", "name", "court", "procuratorate"])
      if (!v[k]?.trim()) fail(`--${k} is required\n\n${USAGE}`);
    if (!/^[0-9A-Za-z-]{2,20}$/.test(v.code!)) fail("--code: 2–20 letters, digits or '-'");
    const admin = (side: "court" | "procuratorate"): FirstAdmin => ({
      email: email(`--${side}-admin`, v[`${side}-admin`]),
      name: v[`${side}-admin-name`]?.trim() || undefined,
      roles: roles(`--${side}-admin-roles`, v[`${side}-admin-roles`]),
    });
    const input = {
      code: v.code!,
      name: v.name!.trim(),
      courtName: v.court!.trim(),
      procuratorateName: v.procuratorate!.trim(),
      courtAdmin: admin("court"),
      procuratorateAdmin: admin("procuratorate"),
    };
    if (input.courtAdmin.email === input.procuratorateAdmin.email)
      fail("the two institutions need different first admins (an e-mail has one account)");
    const p = await pairStatements(deps, input, { guard: sql`1`, parent: null, by: null });
    const results = (await db.batch([...p.statements, p.read, p.checks] as never)) as unknown[];
    const out = p.outcome(results.at(-2) as never, results.at(-1) as never);
    if (!out) fail("nothing was created", 1);
    console.log(`created ${out.pair.name} (${out.pair.code}, city level) in ${where}:`);
    for (const o of out.pair.organizations) console.log(`  ${o.kind}: ${o.name}  ${o.id}`);
    for (const i of out.invitations) {
      console.log(
        `\nfirst admin of ${i.organization.name}: ${i.email} (${i.roles.join(", ")}), valid 7 days, once`,
      );
      console.log(`token: ${i.token}\n${accept(i.token!)}`);
    }
  }
} catch (e) {
  if (e instanceof ApiError) fail(`${e.code}: ${e.message}`, 1);
  throw e;
}
