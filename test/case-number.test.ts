import { describe, expect, it } from "vitest";
import { caseKey, partyKey, partyKeys } from "../src/cases/case-number";

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
  // Small-form brackets of official numbers, the traditional 號, zero-width characters, a leading 0.
  ["﹝2026﹞京0105民初123號", "(2026)京0105民初123"],
  ["(2026)京0105民初123号\u200b", "(2026)京0105民初123"],
  ["(2026)京0105民初0123号", "(2026)京0105民初123"],
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

  it("drops 第 and 号 only in the 第N号 form, so two different numbers never share a key", () => {
    expect(caseKey("(2026)示01刑初1号2")).not.toBe(caseKey("(2026)示01刑初12号"));
    expect(caseKey("(2026)示01刑初第1号")).toBe("(2026)示01刑初1");
    expect(caseKey("(2026)示第01刑初1号")).toBe("(2026)示第01刑初1");
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
