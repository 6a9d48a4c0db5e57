import { describe, expect, it } from "vitest";
import { changeFilters, filtersFrom, filtersQuery, filtersSearch, presetDates, rangeInvalid } from "../src/filters";

const NOW = new Date(2025, 4, 20, 15, 30); // local time

describe("analytics filters", () => {
  it("default to the last 7 days by day, bots included", () => {
    expect(filtersFrom("", NOW)).toEqual({
      preset: "7d",
      from: "2025-05-13",
      to: "2025-05-20",
      interval: "day",
      excludeBots: false,
    });
  });

  it("show each preset's own dates, starting on the date the API's range starts", () => {
    // The API's preset is N days back from now: 15:30 on the 13th for 7d, so its first day bucket is the 13th.
    expect(presetDates("7d", NOW)).toEqual({ from: "2025-05-13", to: "2025-05-20" });
    expect(filtersFrom("?range=30d", NOW)).toMatchObject({ from: "2025-04-20", to: "2025-05-20" });
    expect(filtersFrom("?range=90d", NOW)).toMatchObject({ from: "2025-02-19", to: "2025-05-20" });
  });

  it("move the From and To fields when a preset is chosen, and keep a typed date", () => {
    const week = filtersFrom("", NOW);
    expect(changeFilters(week, { preset: "90d" }, NOW)).toMatchObject({ preset: "90d", from: "2025-02-19", to: "2025-05-20" });
    const typed = changeFilters(week, { preset: null, from: "2025-05-01" }, NOW);
    expect(typed).toMatchObject({ preset: null, from: "2025-05-01", to: "2025-05-20" });
    expect(changeFilters(typed, { excludeBots: true }, NOW)).toMatchObject({ from: "2025-05-01", excludeBots: true });
  });

  it("read a custom range, interval and the bot toggle from the address", () => {
    const filters = filtersFrom("?from=2025-04-01&to=2025-04-30&interval=week&bots=exclude", NOW);
    expect(filters).toEqual({ preset: null, from: "2025-04-01", to: "2025-04-30", interval: "week", excludeBots: true });
  });

  it("ignore what they do not know", () => {
    const filters = filtersFrom("?range=1y&interval=minute&from=yesterday&to=2025-01-01", NOW);
    expect(filters.preset).toBe("7d");
    expect(filters.interval).toBe("day");
  });

  it("keep other parameters of the address when written back", () => {
    const search = filtersSearch({ ...filtersFrom("", NOW), preset: "30d", excludeBots: true }, "?name=Spring+sale&range=7d");
    const params = new URLSearchParams(search);
    expect(params.get("name")).toBe("Spring sale");
    expect(params.get("range")).toBe("30d");
    expect(params.get("bots")).toBe("exclude");
    expect(params.has("from")).toBe(false);
    expect(filtersFrom(search, NOW).preset).toBe("30d");
  });

  it("write a custom range as from and to, and round-trip", () => {
    const filters = { preset: null, from: "2025-04-01", to: "2025-04-03", interval: "hour", excludeBots: false };
    expect(filtersFrom(filtersSearch(filters, ""), NOW)).toEqual(filters);
  });

  it("refuse a range that ends before it starts", () => {
    expect(rangeInvalid({ ...filtersFrom("", NOW), preset: null, from: "2025-05-02", to: "2025-05-01" })).toBe(true);
    expect(rangeInvalid({ ...filtersFrom("", NOW), preset: null, from: "", to: "2025-05-01" })).toBe(true);
    expect(rangeInvalid(filtersFrom("", NOW))).toBe(false);
  });

  it("become the API's query", () => {
    expect(filtersQuery(filtersFrom("?bots=exclude", NOW), "Europe/Berlin")).toEqual({
      preset: "7d",
      interval: "day",
      exclude_bots: true,
      tz: "Europe/Berlin",
    });
    const custom = filtersQuery(filtersFrom("?from=2025-04-01&to=2025-04-02", NOW), "UTC");
    expect(custom).toMatchObject({ from: "2025-04-01", to: "2025-04-02" });
    expect(custom).not.toHaveProperty("preset");
  });
});
