// How webhooks and their deliveries are described, and what the webhook form sends. Pure
// functions, unit-tested in test/webhooks.test.ts.

import type { Delivery, DeliveryResponse, Webhook, WebhookInput } from "./api";
import { number } from "./format";

export const EVENT_NAMES: Record<string, string> = {
  "link.clicked": "Link clicked",
};

/** Why a webhook is off: turned off by hand, or by the service (which says why, in words:
 * "deliveries failed for 1 day without a success; last: HTTP 500"). */
export function disabledReason(webhook: Pick<Webhook, "enabled" | "disabled_reason">): string {
  if (webhook.enabled) return "";
  const reason = webhook.disabled_reason?.trim();
  return reason ? `Turned off automatically: ${reason}` : "Turned off by hand.";
}

/** Which clicks a webhook hears of. */
export function webhookScope(webhook: Pick<Webhook, "campaign" | "link_id">, linkName?: string): string {
  if (webhook.link_id) return `Link ${linkName ?? webhook.link_id}`;
  if (webhook.campaign) return `Campaign “${webhook.campaign}”`;
  return "All links";
}

export const DELIVERY_STATUS: Record<Delivery["status"], { label: string; badge: string }> = {
  delivered: { label: "Delivered", badge: "badge-ok" },
  pending: { label: "Pending", badge: "badge-info" },
  failed: { label: "Failed", badge: "badge-danger" },
};

/** One attempt's outcome: "200 OK in 35 ms", "Timed out after 10,000 ms", "No answer". */
export function attemptOutcome(response: DeliveryResponse | null): string {
  if (!response) return "Not sent yet";
  const took = ` in ${number(Math.round(response.duration_ms))} ms`;
  if (response.status_code !== null) return `HTTP ${response.status_code}${took}`;
  return (response.error?.trim() || "No answer") + took;
}

/** Whether an attempt's answer counts as a success (a 2xx status). */
export function attemptOk(response: DeliveryResponse | null): boolean {
  return !!response && typeof response.status_code === "number" && response.status_code >= 200 && response.status_code < 300;
}

export interface WebhookForm {
  url: string;
  events: string[];
  campaign: string;
  linkId: string;
  includeBots: boolean;
  enabled: boolean;
}

export function formOf(webhook?: Webhook): WebhookForm {
  return {
    url: webhook?.url ?? "",
    events: webhook ? [...webhook.events] : ["link.clicked"],
    campaign: webhook?.campaign ?? "",
    linkId: webhook?.link_id ?? "",
    includeBots: webhook?.include_bots ?? false,
    enabled: webhook?.enabled ?? true,
  };
}

/** The body to send: everything for a new webhook, only what changed for an edit. */
export function webhookBody(form: WebhookForm, webhook?: Webhook): Partial<WebhookInput> {
  const full: WebhookInput = {
    url: form.url.trim(),
    events: form.events,
    campaign: form.campaign.trim() || null,
    link_id: form.linkId.trim() || null,
    include_bots: form.includeBots,
  };
  if (!webhook) return full;
  const changed: Partial<WebhookInput> = {};
  if (full.url !== webhook.url) changed.url = full.url;
  if (full.events.join() !== webhook.events.join()) changed.events = full.events;
  if (full.campaign !== webhook.campaign) changed.campaign = full.campaign;
  if (full.link_id !== webhook.link_id) changed.link_id = full.link_id;
  if (full.include_bots !== webhook.include_bots) changed.include_bots = full.include_bots;
  if (form.enabled !== webhook.enabled) changed.enabled = form.enabled;
  return changed;
}

/** Keeps a refreshed first page and what was loaded after it, without doubles: rows that
 * fell off the first page (newer ones arrived) stay where they were. */
export function mergeFirstPage<T extends { id: string }>(fresh: T[], shown: T[]): T[] {
  const ids = new Set(fresh.map((item) => item.id));
  return [...fresh, ...shown.filter((item) => !ids.has(item.id))];
}
