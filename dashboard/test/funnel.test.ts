import { describe, expect, it } from "vitest";
import { ratio } from "../src/format";
import { duration, funnelEmpty, funnelQuery, funnelSteps, isoDuration, money, windowDays } from "../src/funnel";

describe("funnelSteps", () => {
  it("gives each step its count, bar length and the rate that led to it", () => {
    const steps = funnelSteps({ delivered: 4, clicked: 2, converted: 1, click_rate: 0.5, conversion_rate: 0.5 });
    expect(steps.map((s) => [s.label, s.value, s.share])).toEqual([
      ["Delivered", 4, 1],
      ["Clicked", 2, 0.5],
      ["Converted", 1, 0.25],
    ]);
    expect(steps[0].rate).toBeNull();
    expect(steps[1].rate).toEqual({ label: "Click rate", value: 0.5, text: "50%" });
    expect(steps[2].rate).toEqual({ label: "Conversion rate", value: 0.5, text: "50%" });
  });

  it("says there is no rate when the step before is empty", () => {
    const steps = funnelSteps({ delivered: 0, clicked: 3, converted: 0, click_rate: null, conversion_rate: 0 });
    expect(steps[1].rate?.text).toBe("–");
    expect(steps[2].rate?.text).toBe("0%");
    expect(steps[1].share).toBe(1); // a later step may be the largest: steps count on their own
  });

  it("draws no bar for a funnel of nothing", () => {
    const steps = funnelSteps({ delivered: 0, clicked: 0, converted: 0, click_rate: null, conversion_rate: null });
    expect(steps.map((s) => s.share)).toEqual([0, 0, 0]);
  });
});

describe("funnelEmpty", () => {
  it("is empty without deliveries and conversions, whatever the clicks", () => {
    expect(funnelEmpty({ delivered: 0, converted: 0, conversions: 0 })).toBe(true);
    expect(funnelEmpty({ delivered: 1, converted: 0, conversions: 0 })).toBe(false);
    expect(funnelEmpty({ delivered: 0, converted: 0, conversions: 2 })).toBe(false); // anonymous conversions
  });
});

describe("funnelQuery", () => {
  it("keeps the range and drops the bot filter", () => {
    expect(funnelQuery({ preset: "7d", interval: "day", exclude_bots: true, tz: "Europe/Berlin" })).toEqual({
      preset: "7d",
      interval: "day",
      tz: "Europe/Berlin",
    });
  });
});

describe("ratio", () => {
  it("rounds to a tenth of a percent", () => {
    expect(ratio(2 / 3)).toBe("66.7%");
    expect(ratio(1)).toBe("100%");
    expect(ratio(null)).toBe("–");
  });
});

describe("duration", () => {
  it.each([
    [null, "–"],
    [0.2, "< 1 s"],
    [0.6, "1 s"],
    [45, "45 s"],
    [59.6, "1 min"],
    [200, "3 min 20 s"],
    [3599.6, "1 h"],
    [7500, "2 h 5 min"],
    [86_399, "1 d"],
    [273_600, "3 d 4 h"],
    [-1, "–"],
  ])("shows %s seconds as %s", (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it("gives the machine-readable form too", () => {
    expect(isoDuration(200.4)).toBe("PT200S");
  });
});

describe("money", () => {
  it("shows the decimals the API sent, in the currency's sign", () => {
    expect(money("1234.50", "EUR")).toBe("€1,234.50");
    expect(money("1200", "JPY")).toBe("¥1,200");
    expect(money("12.3456", "USD")).toBe("$12.3456");
  });

  it("keeps every digit of a large sum", () => {
    expect(money("98765432109876.54", "USD")).toBe("$98,765,432,109,876.54");
  });

  it("falls back to the code for a currency it cannot format", () => {
    expect(money("5.00", "??")).toBe("5.00 ??");
  });
});

describe("windowDays", () => {
  it("sends a whole number as a number, whatever else as typed for the server to refuse", () => {
    expect(windowDays("14")).toBe(14);
    expect(windowDays(" 7 ")).toBe(7);
    expect(windowDays("0")).toBe(0);
    expect(windowDays("-3")).toBe(-3);
    expect(windowDays("two weeks")).toBe("two weeks");
    expect(windowDays("1.5")).toBe("1.5");
    expect(windowDays("")).toBe("");
  });
});
