import { describe, expect, it } from "vitest";
import { filtersFrom, filtersQuery, filtersSearch, rangeInvalid } from "../src/filters";

const NOW = new Date(2025, 4, 20, 15, 30); // local time

describe("analytics filters", () => {
  it("default to the last 7 days by day, bots included", () => {
    expect(filtersFrom("", NOW)).toEqual({
      preset: "7d",
      from: "2025-05-14",
      to: "2025-05-20",
      interval: "day",
      excludeBots: false,
    });
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
