import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, exportUrl, qrUrl, useSession } from "../src/api";

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Stubs fetch: every request gets this answer (a DELETE a 204), and is recorded. */
function answering(status: number, payload: unknown): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const method = init.method ?? "GET";
    sent.push({ url, method, headers: init.headers as Record<string, string>, body: init.body as string });
    if (method === "DELETE") return new Response(null, { status: 204 });
    return new Response(JSON.stringify(payload), { status });
  });
  return sent;
}

const NEW_HOOK = { url: "https://example.com", events: ["link.clicked"], campaign: null, link_id: null, include_bots: false };

afterEach(() => vi.unstubAllGlobals());

describe("api", () => {
  it("sends the session's CSRF token with every webhook change, and never with a read", async () => {
    useSession("token-123", () => {});
    const sent = answering(200, { items: [] });
    await api.webhooks();
    await api.createWebhook(NEW_HOOK);
    await api.updateWebhook("w1", { enabled: false });
    await api.deliveries("w1", { limit: 25, cursor: "c2" });
    await api.deleteWebhook("w1");
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /api/v1/webhooks",
      "POST /api/v1/webhooks",
      "PATCH /api/v1/webhooks/w1",
      "GET /api/v1/webhooks/w1/deliveries?limit=25&cursor=c2",
      "DELETE /api/v1/webhooks/w1",
    ]);
    for (const s of sent) {
      expect(s.headers["X-Smartlinks-CSRF"]).toBe(s.method === "GET" ? undefined : "token-123");
    }
    expect(JSON.parse(sent[2].body!)).toEqual({ enabled: false });
  });

  it("puts campaign names and contact ids in the path encoded", async () => {
    const sent = answering(200, {});
    await api.campaignAnalytics("Spring/EU 25%", { preset: "7d", exclude_bots: false });
    await api.contactClicks("bob@example.com", { limit: 50, cursor: null });
    expect(sent[0].url).toBe("/api/v1/campaigns/Spring%2FEU%2025%25/analytics?preset=7d&exclude_bots=false");
    expect(sent[1].url).toBe("/api/v1/contacts/bob%40example.com/clicks?limit=50");
  });

  it("turns an error answer into an ApiError naming its field", async () => {
    answering(422, { error: { code: "invalid_url", message: "url must be https.", field: "url" } });
    const error = await api.createWebhook({ ...NEW_HOOK, url: "ftp://x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const { status, code, field } = error as ApiError;
    expect([status, code, field]).toEqual([422, "invalid_url", "url"]);
  });

  it("addresses QR images", () => {
    expect(qrUrl("abc", "svg")).toBe("/api/v1/links/abc/qr?format=svg");
    expect(qrUrl("abc", "png", { size: 1024, download: true })).toBe("/api/v1/links/abc/qr?format=png&size=1024&download=true");
  });

  it("addresses CSV downloads with the page's filters, without the interval", () => {
    const query = { preset: "30d", interval: "week", exclude_bots: true, tz: "Europe/Berlin" };
    expect(exportUrl.linkClicks("abc", query)).toBe(
      "/api/v1/links/abc/clicks/export?preset=30d&exclude_bots=true&tz=Europe%2FBerlin",
    );
    expect(exportUrl.campaignClicks("Summer / 25", { from: "2025-05-01", to: "2025-05-04" })).toBe(
      "/api/v1/campaigns/Summer%20%2F%2025/clicks/export?from=2025-05-01&to=2025-05-04",
    );
    expect(exportUrl.links({ search: "", campaign: "spring", tag: null })).toBe("/api/v1/links/export?campaign=spring");
  });
});
