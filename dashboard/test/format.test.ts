import { describe, expect, it } from "vitest";
import { countryName, endOfLocalDay, expiryDay, number, readablePart, shownUrl } from "../src/format";
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
      href: "https://example.com/a?b=c",
      host: "example.com",
      idn: false,
    });
  });

  it("percent-encodes bidi and invisible characters", () => {
    const shown = shownUrl("https://example.com/\u202Egnp.exe");
    expect(shown.text).toBe("https://example.com/%E2%80%AEgnp.exe");
    expect(/^[\x20-\x7e]*$/.test(shown.text)).toBe(true);
  });

  it("shows a path's letters decoded, and keeps the exact address beside them", () => {
    const shown = shownUrl("https://shop.example/Ünïcode?q=café#straße");
    expect(shown.text).toBe("https://shop.example/Ünïcode?q=café#straße");
    expect(shown.href).toBe("https://shop.example/%C3%9Cn%C3%AFcode?q=caf%C3%A9#stra%C3%9Fe");
    expect(shownUrl("https://shop.example/%E6%97%A5%E6%9C%AC").text).toBe("https://shop.example/日本");
  });

  it("keeps encoded what would change or hide the address when decoded", () => {
    expect(readablePart("/a%2Fb%20c%3Fd%25e")).toBe("/a%2Fb%20c%3Fd%25e"); // ASCII as sent
    expect(readablePart("/%E2%80%AEgnp.exe")).toBe("/%E2%80%AEgnp.exe"); // right-to-left override
    expect(readablePart("/%E2%80%8Bx%C2%A0y")).toBe("/%E2%80%8Bx%C2%A0y"); // zero-width and no-break spaces
    expect(readablePart("/%C3%28%FF")).toBe("/%C3%28%FF"); // not UTF-8
    expect(readablePart("/%c3%a9%E2%80%AE")).toBe("/é%E2%80%AE");
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
