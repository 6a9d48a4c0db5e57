import { describe, expect, it } from "vitest";
import { countryName, endOfLocalDay, expiryDay, number, shownUrl } from "../src/format";
import { parse } from "../src/router";

describe("shownUrl", () => {
  it("shows a look-alike host in punycode", () => {
    const shown = shownUrl("https://аpple.com/login"); // Cyrillic "а"
    expect(shown.text).toBe("https://xn--pple-43d.com/login");
    expect(shown.idn).toBe(true);
  });

  it("keeps a plain URL as it is", () => {
    expect(shownUrl("https://example.com/a?b=c")).toEqual({
      text: "https://example.com/a?b=c",
      host: "example.com",
      idn: false,
    });
  });

  it("percent-encodes bidi and invisible characters", () => {
    const shown = shownUrl("https://example.com/\u202Egnp.exe");
    expect(shown.text).toBe("https://example.com/%E2%80%AEgnp.exe");
    expect(/^[\x20-\x7e]*$/.test(shown.text)).toBe(true);
  });

  it("never passes markup through unchanged characters it cannot parse", () => {
    expect(shownUrl("not a url <b>").text).toBe("not a url <b>");
  });
});

describe("countryName", () => {
  it("names a country", () => {
    expect(countryName("DE")).toMatch(/German|Deutschland|Allemagne/);
  });
  it("says Unknown for nothing", () => {
    expect(countryName(null)).toBe("Unknown");
    expect(countryName("<script>")).toBe("Unknown");
  });
});

describe("expiry dates", () => {
  it("round-trips a local day", () => {
    expect(expiryDay(endOfLocalDay("2031-03-30"))).toBe("2031-03-30");
    expect(expiryDay(null)).toBe("");
  });
});

describe("number", () => {
  it("groups digits", () => {
    expect(number(1234567).replace(/\D/g, "")).toBe("1234567");
  });
});

describe("router", () => {
  it("parses screens", () => {
    expect(parse("/dashboard")).toEqual({ name: "links" });
    expect(parse("/dashboard/links/")).toEqual({ name: "links" });
    expect(parse("/dashboard/settings")).toEqual({ name: "settings" });
    expect(parse(`/dashboard/links/${"a".repeat(32)}`)).toEqual({ name: "analytics", id: "a".repeat(32) });
    expect(parse("/dashboard/links/<x>")).toEqual({ name: "not-found" });
  });
});
