import { describe, expect, it } from "vitest";
import { logKey, logQuery, withNewest, withOlder, type Log } from "../src/clicklog";

const clicks = (...ids: number[]) => ids.map((id) => ({ id: String(id) }));
const KEY = logKey({ preset: "7d", interval: "day", exclude_bots: true, tz: "UTC" });

describe("the latest clicks", () => {
  it("ask the log for the figures' range, zone and bot toggle, without the interval", () => {
    expect(logQuery({ from: "2025-04-01", to: "2025-04-02", interval: "hour", exclude_bots: false, tz: "UTC" })).toEqual({
      from: "2025-04-01",
      to: "2025-04-02",
      interval: null,
      exclude_bots: false,
      tz: "UTC",
    });
    expect(logKey({ preset: "7d", interval: "week", tz: "UTC", exclude_bots: true })).toBe(KEY); // the interval changes nothing
    expect(logKey({ preset: "7d", interval: "day", tz: "UTC", exclude_bots: false })).not.toBe(KEY);
  });

  it("keep the older pages under a refreshed newest page", () => {
    let log: Log<{ id: string }> = withNewest(null, { items: clicks(10, 9, 8), next_cursor: "c8" }, KEY);
    log = withOlder(log, { items: clicks(7, 6, 5), next_cursor: "c5" }, KEY);
    log = withNewest(log, { items: clicks(11, 10, 9), next_cursor: "c9" }, KEY); // one new click
    expect(log.items.map((c) => c.id)).toEqual(["11", "10", "9", "8", "7", "6", "5"]);
    expect(log.cursor).toBe("c5");
  });

  it("start again for another query, or when the newest page no longer touches the list", () => {
    let log: Log<{ id: string }> = withNewest(null, { items: clicks(10, 9), next_cursor: "c9" }, KEY);
    log = withOlder(log, { items: clicks(8, 7), next_cursor: "c7" }, KEY);
    expect(withNewest(log, { items: clicks(10, 9), next_cursor: "c9" }, "other")).toEqual({ key: "other", items: clicks(10, 9), cursor: "c9" });
    expect(withNewest(log, { items: clicks(14, 13), next_cursor: "c13" }, KEY)).toEqual({ key: KEY, items: clicks(14, 13), cursor: "c13" });
  });

  it("drop an older page asked for before the query changed, and never repeat a click", () => {
    const log = withNewest(null, { items: clicks(10, 9), next_cursor: "c9" }, KEY);
    expect(withOlder(log, { items: clicks(8), next_cursor: null }, "other")).toBe(log);
    expect(withOlder(log, { items: clicks(9, 8), next_cursor: null }, KEY).items.map((c) => c.id)).toEqual(["10", "9", "8"]);
  });
});
