// Password hashing with what every host has: PBKDF2-SHA256 through WebCrypto (runtime-neutral).
//
// The stored form names its algorithm and parameters — "pbkdf2-sha256$<iterations>$<salt>$<hash>",
// salt and hash in base64url — so the cost can be raised later: `needsRehash` tells the login to store
// a new hash when the parameters are below today's. The Workers runtime refuses more than 100,000
// PBKDF2 iterations, which is therefore the cost (docs/adr/0007-accounts-and-onboarding.md gives the
// CPU time per hash against the Workers limits).
export const PBKDF2_ITERATIONS = 100_000;
const ALGORITHM = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BYTES = 32;

const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function derive(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/** A new hash of `password` with a fresh random salt and today's parameters. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${b64url(salt)}$${b64url(hash)}`;
}

/** Constant-time comparison of two byte strings of any length. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Whether `password` matches `stored`; a malformed or unknown stored form never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iter, salt, hash] = stored.split("$");
  const iterations = Number(iter);
  if (algorithm !== ALGORITHM || !Number.isInteger(iterations) || iterations < 1 || !salt || !hash)
    return false;
  const expected = fromB64url(hash);
  return equal(await derive(password, fromB64url(salt), iterations), expected);
}

/** Whether a stored hash was made with weaker parameters than today's (upgrade it at login). */
export function needsRehash(stored: string): boolean {
  const [algorithm, iter] = stored.split("$");
  return algorithm !== ALGORITHM || Number(iter) < PBKDF2_ITERATIONS;
}

/** A hash to verify against when the account does not exist, so both cases cost the same time. */
export const DUMMY_HASH = `${ALGORITHM}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
