// `npm run password -- <email>`: sets (or resets) the password of a user or operator of the LIBSQL_URL
// database, read from standard input (never from the command line, where `ps` and the shell's
// history would keep it); every session of the account ends, and the change is audited
// (`password_reset`). For whoever runs the server: a forgotten password, or trying sign-in with the
// demo users, who have none.
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { hashPassword } from "../accounts/password";
import { PASSWORD_MIN_LENGTH } from "../accounts/accounts.service";
import { seedDemoIfEmpty } from "../db/seed";
import { migrateDb, nodeDeps } from "./local";

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const email = process.argv[2]?.trim().toLowerCase();
if (!email || email.startsWith("-") || process.argv.length > 3)
  fail("usage: npm run password -- <email>   (the password on standard input)");
const password = readFileSync(0, "utf8").replace(/\r?\n$/, "");
if (password.length < PASSWORD_MIN_LENGTH)
  fail(`the password needs at least ${PASSWORD_MIN_LENGTH} characters`);
if (password.toLowerCase() === email) fail("the password may not be the e-mail address");

const { deps, config } = await nodeDeps(process.env);
await migrateDb(deps.db, deps.clock);
await seedDemoIfEmpty(deps.db, deps.ids, deps.clock.now());
const at = deps.clock.now().toISOString();
const hash = await hashPassword(password);
const account = sql`(select id from users where email = ${email} and active = 1
  union all select id from operators where email = ${email} and active = 1)`;
// Users and operators share one e-mail namespace; a database that still holds both for this e-mail
// (created before that was enforced) is refused, writing nothing: which account is meant is for a
// person to decide (disable one of them), not for this script to guess.
const one = sql`(select count(*) from ${account}) = 1`;
const [, , , found] = await deps.db.batch([
  deps.db.run(sql`insert into credentials (account_id, password_hash, changed_at)
    select id, ${hash}, ${at} from ${account} where ${one}
    on conflict (account_id) do update set password_hash = excluded.password_hash, changed_at = excluded.changed_at`),
  deps.db.run(sql`update auth_sessions set revoked_at = ${at}, revoked_reason = 'password_reset'
    where account_id in ${account} and revoked_at is null and ${one}`),
  deps.db.run(sql`insert into auth_events (id, org_id, account_id, email, kind, source, at)
    select ${deps.ids()}, (select org_id from users where id = a_.id), a_.id, ${email}, 'password_reset',
      'npm run password', ${at}
    from ${account} a_ where ${one}`),
  deps.db.all<{ n: number }>(sql`select count(*) as n from ${account}`),
]);
if (!found[0]?.n) fail(`no active user or operator with e-mail ${email} in ${config.LIBSQL_URL}`, 1);
if (found[0].n > 1)
  fail(
    `${email} names both a user and an operator in ${config.LIBSQL_URL}; nothing was changed: ` +
      "disable the account that should not exist (users.active / operators.active = 0), then run this again",
    1,
  );
console.error(`password set for ${email}; its sessions have ended`);
