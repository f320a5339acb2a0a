// `npm run token -- <email>`: prints a development bearer token for a user of the LIBSQL_URL database.
import { eq } from "drizzle-orm";
import { signToken } from "../auth/jwt";
import { users } from "../db/schema";
import { seedDemoIfEmpty } from "../db/seed";
import { migrateDb, nodeDeps } from "./local";

const email = process.argv[2];
if (!email) {
  console.error("usage: npm run token -- <email> [expiresIn, e.g. 8h]");
  process.exit(2);
}
const { deps, config, privateJwk } = await nodeDeps(process.env);
if (!privateJwk) {
  console.error("JWT_JWKS is configured: tokens come from your identity provider, not from this command.");
  process.exit(2);
}
await migrateDb(deps.db, deps.clock);
await seedDemoIfEmpty(deps.db, deps.ids, deps.clock.now());
const [user] = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, email));
if (!user) {
  console.error(`no user with e-mail ${email} in ${config.LIBSQL_URL} (has the server started once?)`);
  process.exit(1);
}
console.log(
  await signToken(
    privateJwk,
    { sub: user.id },
    {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      expiresIn: process.argv[3] ?? "8h",
      now: deps.clock.now(),
    },
  ),
);
