import { describe, expect, it } from "vitest";
import { href, linksHref, parse, type Route } from "../src/router";

describe("router: the screens of campaigns, contacts and webhooks", () => {
  const id = "0123456789abcdef0123456789abcdef";

  it("parses each screen", () => {
    expect(parse("/dashboard/campaigns")).toEqual({ name: "campaigns" });
    expect(parse("/dashboard/webhooks/")).toEqual({ name: "webhooks" });
    expect(parse(`/dashboard/webhooks/${id}`)).toEqual({ name: "webhook", id });
    expect(parse("/dashboard/campaign", "?name=Spring&range=30d")).toEqual({ name: "campaign", campaign: "Spring" });
    expect(parse("/dashboard/contact", "?id=c-17")).toEqual({ name: "contact", contact: "c-17" });
    expect(parse("/dashboard/links", "?campaign=Spring&search=x")).toEqual({ name: "links", campaign: "Spring" });
  });

  it("needs a name for a campaign and an id for a contact", () => {
    expect(parse("/dashboard/campaign")).toEqual({ name: "not-found" });
    expect(parse("/dashboard/contact", "?id=")).toEqual({ name: "not-found" });
    expect(parse("/dashboard/webhooks/<x>")).toEqual({ name: "not-found" });
  });

  it("round-trips names no path could hold", () => {
    // Dots, slashes, "@", "%", spaces, non-Latin letters: all free text in the API.
    for (const name of ["spring.2025", "a/b", "..", "bob@example.com", "100% off", "Frühling ☀", "?&=#"]) {
      for (const route of [
        { name: "campaign", campaign: name },
        { name: "contact", contact: name },
        { name: "links", campaign: name },
      ] as Route[]) {
        const url = new URL(href(route), "http://localhost");
        expect(url.pathname.startsWith("/dashboard/")).toBe(true);
        expect(parse(url.pathname, url.search)).toEqual(route);
      }
    }
  });

  it("links to the list of every link when no campaign is named", () => {
    expect(linksHref()).toBe("/dashboard/links");
    expect(linksHref(null)).toBe("/dashboard/links");
    expect(href({ name: "links" })).toBe("/dashboard/links");
  });
});

describe("router: the links list filtered by tag", () => {
  it("keeps the tag, with or without a campaign, through the address", () => {
    expect(parse("/dashboard/links", "?tag=spring")).toEqual({ name: "links", tag: "spring" });
    expect(parse("/dashboard/links", "?campaign=C&tag=a%2Fb")).toEqual({ name: "links", campaign: "C", tag: "a/b" });
    expect(linksHref(null, "100% off")).toBe("/dashboard/links?tag=100%25%20off");
    expect(linksHref("Spring", "x")).toBe("/dashboard/links?campaign=Spring&tag=x");
    for (const route of [{ name: "links", tag: "Frühling ☀" }, { name: "links", campaign: "?&=#", tag: "&" }] as Route[]) {
      const url = new URL(href(route), "http://localhost");
      expect(parse(url.pathname, url.search)).toEqual(route);
    }
  });
});
