// `npm run token -- <email> [expiresIn]`: prints a bearer token for a user of the LIBSQL_URL database,
// signed with the development key pair kept beside that database, or — when JWT_JWKS is set — with
// JWT_PRIVATE_JWK, the private key of one of its keys (a site without an identity provider).
// `npm run token -- --new-keys <jwks.json> <private-key.json>`: makes that key pair (EdDSA, with a kid).
// `npm run keys` (= `--new-keys` without files): prints a new pair instead, for the JWT_JWKS and
// JWT_PRIVATE_JWK settings (or Worker secrets): one line each, nothing written.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { eq } from "drizzle-orm";
import type { JWK } from "jose";
import { generateDevKeys, signToken } from "../auth/jwt";
import { users } from "../db/schema";
import { seedDemoIfEmpty } from "../db/seed";
import { migrateDb, nodeDeps } from "./local";

const USAGE = `usage: npm run token -- <email> [expiresIn, e.g. 8h]
       npm run token -- --new-keys <jwks.json> <private-key.json>
       npm run keys     (prints a new key pair: JWT_JWKS, then JWT_PRIVATE_JWK)`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

if (process.argv[2] === "--new-keys" && process.argv.length === 3) {
  const { privateJwk, jwks } = await generateDevKeys();
  console.log(`JWT_JWKS='${JSON.stringify(jwks)}'`);
  console.log(`JWT_PRIVATE_JWK='${JSON.stringify(privateJwk)}'`);
  console.error(
    `a new EdDSA key pair, kid ${privateJwk.kid}: JWT_JWKS verifies tokens, JWT_PRIVATE_JWK signs them ` +
      "(sign-in, npm run token). The private key is a secret: on Workers `wrangler secret put JWT_PRIVATE_JWK`.",
  );
  process.exit(0);
}

if (process.argv[2] === "--new-keys") {
  const [publicPath, privatePath] = process.argv.slice(3);
  if (!publicPath || !privatePath || process.argv.length > 5) fail(USAGE);
  const existing = [publicPath, privatePath].filter((p) => existsSync(p));
  if (existing.length)
    fail(`not written: ${existing.join(" and ")} already there (a key pair in use is never overwritten)`, 1);
  const { privateJwk, jwks } = await generateDevKeys();
  try {
    for (const path of [publicPath, privatePath]) mkdirSync(dirname(path), { recursive: true });
    // "wx": never overwrite a key already in use; the private key readable by its owner only.
    writeFileSync(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    writeFileSync(publicPath, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644, flag: "wx" });
  } catch (e) {
    fail(`not written: ${(e as Error).message}`, 1);
  }
  console.error(
    `wrote ${publicPath} (public key set, kid ${privateJwk.kid}) and ${privatePath} (private key, mode 0600)\n` +
      `  start:  JWT_JWKS="$(cat ${publicPath})" npm start\n` +
      `  tokens: JWT_JWKS="$(cat ${publicPath})" JWT_PRIVATE_JWK="$(cat ${privatePath})" npm run -s token -- <email>`,
  );
  process.exit(0);
}

const email = process.argv[2];
if (!email || email.startsWith("-")) fail(USAGE);
if (process.env.JWT_PRIVATE_JWK && !process.env.JWT_JWKS)
  fail("JWT_PRIVATE_JWK needs JWT_JWKS too (the public key set the server verifies with).");
let host: Awaited<ReturnType<typeof nodeDeps>>;
try {
  host = await nodeDeps(process.env);
} catch (e) {
  // A bad JWT_PRIVATE_JWK (not private, or not a key of JWT_JWKS) is named here, never printed.
  if ((e as Error).message.startsWith("invalid configuration")) fail((e as Error).message);
  throw e;
}
const { deps, config, privateJwk } = host;
// JWT_PRIVATE_JWK (checked against JWT_JWKS by the configuration) signs, as it does at login;
// otherwise the development key beside the database, which exists only while JWT_JWKS is unset.
const signingKey = (config.JWT_PRIVATE_JWK as JWK | undefined) ?? privateJwk;
if (!signingKey)
  fail(
    "JWT_JWKS is configured: tokens come from your identity provider, not from this command " +
      "(or set JWT_PRIVATE_JWK to the private key of one of its keys).",
  );
await migrateDb(deps.db, deps.clock);
await seedDemoIfEmpty(deps.db, deps.ids, deps.clock.now());
const [user] = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, email));
if (!user) fail(`no user with e-mail ${email} in ${config.LIBSQL_URL} (has the server started once?)`, 1);
console.log(
  await signToken(
    signingKey,
    { sub: user.id },
    {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      expiresIn: process.argv[3] ?? "8h",
      now: deps.clock.now(),
    },
  ),
);
