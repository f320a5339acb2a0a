// Password hashing rules at their edges (the HTTP behaviour is tested with the login routes).
import { describe, expect, it } from "vitest";
import {
  DUMMY_HASH,
  hashPassword,
  needsRehash,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "../src/accounts/password";

describe("password hashes", () => {
  it("name their algorithm and parameters, use a fresh salt each time, and verify", async () => {
    const a = await hashPassword("正确的密码 correct horse");
    const b = await hashPassword("正确的密码 correct horse");
    expect(a).toMatch(new RegExp(`^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$[\\w-]{22}\\$[\\w-]{43}$`));
    expect(a).not.toBe(b);
    expect(await verifyPassword("正确的密码 correct horse", a)).toBe(true);
    expect(await verifyPassword("正确的密码 correct horsE", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("treat the same text in another Unicode normalisation as the same password", async () => {
    const composed = "caf\u00e9";
    const decomposed = "cafe\u0301";
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it("ask for an upgrade when made with fewer iterations, and still verify the old hash", async () => {
    const old = await hashPassword("secret-1234", 1_000);
    expect(needsRehash(old)).toBe(true);
    expect(await verifyPassword("secret-1234", old)).toBe(true);
    expect(needsRehash(await hashPassword("secret-1234"))).toBe(false);
  });

  it("never match a malformed or unknown stored form, nor the dummy hash", async () => {
    for (const stored of [
      "",
      "plain",
      "md5$1$a$b",
      "pbkdf2-sha256$0$AA$AA",
      "pbkdf2-sha256$x$AA$AA",
      DUMMY_HASH,
    ])
      expect(await verifyPassword("anything", stored)).toBe(false);
  });
});
