import { describe, expect, it } from "vitest";
import type { Webhook } from "../src/api";
import { attemptOk, attemptOutcome, disabledReason, formOf, mergeFirstPage, webhookBody, webhookScope } from "../src/webhooks";

const HOOK: Webhook = {
  id: "w1",
  url: "https://example.com/hook",
  events: ["link.clicked"],
  campaign: null,
  link_id: null,
  include_bots: false,
  enabled: true,
  disabled_reason: null,
  created_at: "2025-05-01T00:00:00Z",
  updated_at: "2025-05-01T00:00:00Z",
};

describe("webhooks", () => {
  it("say which clicks they hear of", () => {
    expect(webhookScope(HOOK)).toBe("All links");
    expect(webhookScope({ ...HOOK, campaign: "Spring" })).toBe("Campaign “Spring”");
    expect(webhookScope({ ...HOOK, link_id: "abc" }, "Offer (s.example/x)")).toBe("Link Offer (s.example/x)");
    expect(webhookScope({ ...HOOK, link_id: "abc" })).toBe("Link abc");
  });

  it("say why they are off", () => {
    expect(disabledReason(HOOK)).toBe("");
    expect(disabledReason({ ...HOOK, enabled: false })).toBe("Turned off by hand.");
    expect(disabledReason({ ...HOOK, enabled: false, disabled_reason: "deliveries failed for 1 day; last: HTTP 500" })).toBe(
      "Turned off automatically: deliveries failed for 1 day; last: HTTP 500",
    );
  });

  it("describe an attempt's answer", () => {
    const at = "2025-05-01T00:00:00Z";
    expect(attemptOutcome(null)).toBe("Not sent yet");
    expect(attemptOutcome({ at, status_code: 200, error: null, body: "ok", duration_ms: 35 })).toBe("HTTP 200 in 35 ms");
    expect(attemptOutcome({ at, status_code: null, error: "timed out", body: null, duration_ms: 10000 })).toBe(
      "timed out in 10,000 ms",
    );
    expect(attemptOk({ at, status_code: 204, error: null, body: null, duration_ms: 1 })).toBe(true);
    expect(attemptOk({ at, status_code: 301, error: null, body: null, duration_ms: 1 })).toBe(false);
    expect(attemptOk({ at, status_code: null, error: "refused", body: null, duration_ms: 1 })).toBe(false);
  });

  it("send every field when made, blanks as null", () => {
    const form = { ...formOf(), url: " https://example.com/in ", campaign: "  " };
    expect(webhookBody(form)).toEqual({
      url: "https://example.com/in",
      events: ["link.clicked"],
      campaign: null,
      link_id: null,
      include_bots: false,
    });
  });

  it("send only what changed when edited", () => {
    expect(webhookBody(formOf(HOOK), HOOK)).toEqual({});
    expect(webhookBody({ ...formOf(HOOK), enabled: false, campaign: "Spring" }, HOOK)).toEqual({
      enabled: false,
      campaign: "Spring",
    });
    const limited = { ...HOOK, link_id: "abc" };
    expect(webhookBody({ ...formOf(limited), linkId: "" }, limited)).toEqual({ link_id: null });
  });

  it("merge a refreshed first page with the rows loaded after it", () => {
    const row = (id: string) => ({ id });
    expect(mergeFirstPage([row("n"), row("a"), row("b")], [row("a"), row("b"), row("c"), row("d")])).toEqual(
      ["n", "a", "b", "c", "d"].map(row),
    );
  });
});
