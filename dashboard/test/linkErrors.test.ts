import { describe, expect, it } from "vitest";
import { fieldWords, linkErrorMessage, withScheme } from "../src/linkErrors";

describe("the link dialog's messages", () => {
  it("say a refused destination in words", () => {
    const scheme = { code: "unsupported_scheme", field: "destination_url", message: "destination_url must use http or https" };
    expect(linkErrorMessage(scheme)).toBe("The destination must start with http:// or https://.");
    expect(linkErrorMessage({ ...scheme, field: "expired_url" })).toBe("The expired URL must start with http:// or https://.");
    expect(linkErrorMessage({ ...scheme, field: "targets[1].destination_url" })).toBe("Target 2's destination must start with http:// or https://.");
    const host = { code: "invalid_url", field: "destination_url", message: "destination_url has a host name that is not valid" };
    expect(linkErrorMessage(host)).toMatch(/^The destination has a host name no browser can reach/);
    const loop = { code: "redirect_loop", field: "variants[0].destination_url", message: "variants[0].destination_url leads back" };
    expect(linkErrorMessage(loop)).toBe("Variant 1's destination leads back to this service, so visitors would go round in a loop.");
  });

  it("never show a field's JSON name", () => {
    const messages = [
      { code: "too_long", field: "title", message: "title may be at most 500 characters." },
      { code: "invalid_max_clicks", field: "max_clicks", message: "max_clicks must be a whole number from 1 to 2,000,000,000." },
      { code: "invalid_target", field: "targets[0].country", message: "targets[0].country must be an ISO 3166-1 alpha-2 code in upper case, such as US." },
      { code: "invalid_datetime", field: "expires_at", message: "expires_at must be RFC 3339, e.g. 2030-01-31T12:00:00Z." },
      { code: "invalid_code", field: "code", message: "code must be 4-12 ASCII letters and digits." },
    ].map(linkErrorMessage);
    expect(messages).toEqual([
      "The title may be at most 500 characters.",
      "Max clicks must be a whole number from 1 to 2,000,000,000.",
      "Target 1's country must be an ISO 3166-1 alpha-2 code in upper case, such as US.",
      "The expiration date must be RFC 3339, e.g. 2030-01-31T12:00:00Z.",
      "The custom code must be 4–12 letters and digits (no spaces or symbols).",
    ]);
    expect(fieldWords("tags[3]")).toBe("tag 4");
    expect(linkErrorMessage({ code: "too_long", field: "tags[1]", message: "tags[1] may be at most 50 characters." })).toBe(
      "Tag 2 may be at most 50 characters.",
    );
  });

  it("add https:// to a destination typed without it, and nothing else", () => {
    expect(withScheme("example.com/landing")).toBe("https://example.com/landing");
    expect(withScheme(" shop.example:8080?x=1 ")).toBe("https://shop.example:8080?x=1");
    expect(withScheme("bücher.example/Ünïcode")).toBe("https://bücher.example/Ünïcode");
    expect(withScheme("//cdn.example/a")).toBe("https://cdn.example/a");
    for (const typed of ["https://example.com", "http://example.com/x", "ftp://example.com", "mailto:a@b.example", "javascript:alert(1)", "landing", "/path", "localhost"]) {
      expect(withScheme(typed)).toBe(typed);
    }
  });
});
