import { describe, expect, it } from "vitest";
import { breakdownLabel, NOT_COLLECTED } from "../src/labels";

describe("breakdown labels", () => {
  it("capitalise platforms as browsers and systems are", () => {
    expect(breakdownLabel("platform", "mobile", true)).toBe("Mobile");
    expect(breakdownLabel("platform", "console", true)).toBe("Console");
    expect(breakdownLabel("platform", "Unknown", true)).toBe("Unknown");
    expect(breakdownLabel("browser", "Chrome", true)).toBe("Chrome");
    expect(breakdownLabel("os", "iOS", true)).toBe("iOS");
  });

  it("call a click without a referrer Direct while details are collected", () => {
    expect(breakdownLabel("referrer", "Direct", true)).toBe("Direct");
    expect(breakdownLabel("referrer", "wa.me", true)).toBe("wa.me");
  });

  it("use one wording for every missing detail when collection is off", () => {
    for (const [kind, name] of [["referrer", "Direct"], ["platform", "Unknown"], ["browser", "Unknown"], ["os", "Unknown"]] as const) {
      expect(breakdownLabel(kind, name, false)).toBe(NOT_COLLECTED);
    }
    expect(breakdownLabel("referrer", "wa.me", false)).toBe("wa.me"); // collected before it was turned off
  });
});
