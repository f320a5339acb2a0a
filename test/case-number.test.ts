import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { describe, expect, it } from "vitest";
import { CASE_KEY_FOLDS, caseKey, caseKeySql, partyKey, partyKeys } from "../src/cases/case-number";

const EDGES: [string, string][] = [
  ["（2026）京0105民初１２３号", "(2026)京0105民初123"],
  ["(2026)京0105民初123号", "(2026)京0105民初123"],
  ["〔2026〕京0105民初第123号", "(2026)京0105民初123"],
  ["[2026]京0105民初123号", "(2026)京0105民初123"],
  ["【2026】京0105民初123号", "(2026)京0105民初123"],
  ["［２０２６］京0105民初123号", "(2026)京0105民初123"],
  [" ( 2026 ) 京0105 民初 123 号 ", "(2026)京0105民初123"],
  ["(2026)\u3000京0105民初\t123号", "(2026)京0105民初123"],
  ["(2026)京0105民初123", "(2026)京0105民初123"],
  ["", ""],
];

describe("caseKey", () => {
  it.each(EDGES)("normalises %j to %j", (input, key) => {
    expect(caseKey(input)).toBe(key);
  });

  it("keeps what tells two cases apart: the court code, the type and the number", () => {
    expect(caseKey("(2026)京0105民初123号")).not.toBe(caseKey("(2026)京0106民初123号"));
    expect(caseKey("(2026)京0105民初123号")).not.toBe(caseKey("(2026)京0105民终123号"));
    expect(caseKey("(2026)京0105民初123号")).not.toBe(caseKey("(2026)京0105民初1234号"));
    expect(caseKey("(2026)京0105民初123号")).not.toBe(caseKey("(2025)京0105民初123号"));
  });

  it("folds every full-width digit", () => {
    expect(caseKey("０１２３４５６７８９")).toBe("0123456789");
  });

  it("gives the same key in SQL as in TypeScript (one fold table drives both)", async () => {
    const db = drizzle(createClient({ url: ":memory:" }));
    const inputs = [...EDGES.map(([i]) => i), ...CASE_KEY_FOLDS.map(([from]) => `x${from}y`)];
    for (const input of inputs) {
      const [row] = await db.all<{ k: string }>(sql`select ${caseKeySql(sql`${input}`)} as k`);
      expect(row!.k, JSON.stringify(input)).toBe(caseKey(input));
    }
  });
});

describe("partyKey", () => {
  it("folds full-width letters, case and spaces", () => {
    expect(partyKey(" 示范 ＡＢＣ 公司 ")).toBe("示范abc公司");
    expect(partyKey("Zhang San")).toBe("zhangsan");
  });

  it("separates names so a search never matches across two parties", () => {
    const keys = partyKeys(["张三", "李四"]);
    expect(keys).toBe("|张三|李四|");
    expect(keys.includes(partyKey("三李"))).toBe(false);
    expect(partyKey("a|b")).toBe("ab");
  });
});
