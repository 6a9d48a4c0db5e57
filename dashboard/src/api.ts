// The public /api/v1 as the dashboard uses it, authenticated by the session cookie. Every
// change carries the session's CSRF token; a 401 means the session ended.

export interface Link {
  id: string;
  code: string;
  short_url: string;
  destination_url: string;
  title: string | null;
  status: "active" | "expired";
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  campaign: string | null;
  contact_id: string | null;
  clicks: number;
  conversion_tracking: boolean; // the redirect adds the click id to the destination
  // Rules, decided on the redirect edge. Optional here: a server older than them leaves them
  // out, and tags and domain come with own domains.
  max_clicks?: number | null;
  expired_url?: string | null;
  has_password?: boolean;
  targets?: Target[];
  variants?: Variant[];
  tags?: string[];
  domain?: string | null;
}

/** The first target whose conditions all match sends the visitor to its destination. */
export interface Target {
  destination_url: string;
  os: "ios" | "android" | "windows" | "macos" | "linux" | null;
  device: "mobile" | "desktop" | "tablet" | null;
  country: string | null; // ISO 3166-1 alpha-2, upper case
}

export interface Variant {
  destination_url: string;
  weight: number;
}

/** An A/B variant's figures in a link's analytics. */
export interface VariantFigures {
  destination_url: string;
  clicks: number;
  unique: number;
  conversions: number | null; // null: the link does not track conversions
}

/** A domain of the account's own, on which its links can live. */
export interface Domain {
  id: string;
  domain: string;
  not_found_url: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Named {
  name: string;
  clicks: number;
}

export interface Bucket {
  t: string;
  total: number;
  unique: number;
  bots: number;
}

/** What every analytics answer holds, for one link or a whole campaign. */
export interface Figures {
  range: { from: string; to: string; interval: string; tz: string };
  totals: { total: number; unique: number; bots: number; contacts?: number };
  timeseries: Bucket[];
  countries: { country: string; clicks: number; unique: number }[];
  cities: { country: string; city: string; clicks: number }[];
  locations: { lat: number; lon: number; clicks: number }[];
  browsers: Named[];
  platforms: Named[];
  os: Named[];
  referrers: Named[];
}

export interface Analytics extends Figures {
  link: Link;
  // A link with variants: each in the link's order, then removed ones with clicks in range.
  variants?: VariantFigures[] | null;
}

export interface CampaignSummary {
  campaign: string;
  links: number;
  total: number;
  unique: number;
  bots: number;
  first_link_at: string | null;
  last_link_at: string | null;
}

/** A link's row in a campaign's per-link table. */
export interface CampaignLink {
  id: string;
  code: string;
  short_url: string;
  destination_url: string;
  title: string | null;
  contact_id: string | null;
  total: number;
  unique: number;
  bots: number;
}

export interface CampaignAnalytics extends Figures {
  totals: Figures["totals"] & { contacts: number };
  campaign: { campaign: string; links: number };
  links: CampaignLink[]; // most clicks in range first, at most 500
  links_truncated: boolean; // the campaign has more links than the table holds
}

export interface ContactClick {
  id: string;
  ts: string;
  kind: "unique" | "repeat" | "bot";
  link: Pick<Link, "id" | "code" | "short_url" | "destination_url" | "title"> | null; // null: deleted since
  campaign: string | null;
  country: string | null;
  city: string | null;
  device: string | null;
  browser: string | null;
  os: string | null;
  referrer: string | null;
}

/** A message reported delivered to a contact (POST /api/v1/events). */
export interface ContactDelivery {
  id: string;
  campaign: string;
  message_id: string | null;
  at: string;
}

/** A conversion of a contact, and the click it was put down to, if any. */
export interface ContactConversion {
  id: string;
  name: string;
  at: string;
  campaign: string | null;
  link_id: string | null;
  click_id: string | null;
  attribution: "click_id" | "last_click" | "sent" | string;
  value: string | null; // a decimal, as sent
  currency: string | null;
}

export interface ContactClicks extends Page<ContactClick> {
  contact_id: string;
  // The contact's newest deliveries and conversions (100 of each), the same on every page;
  // the rest are read from their own pages with the next cursors.
  deliveries: ContactDelivery[];
  deliveries_next_cursor: string | null;
  conversions: ContactConversion[];
  conversions_next_cursor: string | null;
}

export type ContactEvents = "deliveries" | "conversions";

/** Delivered → clicked → converted, in distinct contacts, for a campaign or one link. */
export interface Funnel {
  range: { from: string; to: string; interval: string; tz: string };
  delivered: number;
  clicked: number;
  converted: number;
  click_rate: number | null; // null: nobody delivered
  conversion_rate: number | null; // null: nobody clicked
  conversions: number; // conversion events, contact or not
  revenue: { currency: string; value: string }[]; // a decimal string per currency
  median_time_to_click_s: number | null;
  median_time_to_convert_s: number | null;
  timeseries: { t: string; delivered: number; clicked: number; converted: number }[];
  links: { link_id: string; code?: string; clicked: number; converted: number }[];
  links_truncated: boolean; // the campaign has more live links than `links` holds
}

export const WEBHOOK_EVENTS = ["link.clicked"] as const;

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  campaign: string | null;
  link_id: string | null;
  include_bots: boolean;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  campaign: string | null;
  link_id: string | null;
  include_bots: boolean;
  enabled?: boolean;
}

export interface DeliveryResponse {
  at: string;
  status_code: number | null; // null: no answer (timeout, refused connection)
  error: string | null;
  body: string | null;
  duration_ms: number;
}

export interface Delivery {
  id: string;
  event_id: string;
  type: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
  last_response: DeliveryResponse | null;
  attempt_log: DeliveryResponse[]; // the latest few attempts, newest first
}

export interface Click {
  id: string;
  ts: string;
  kind: "unique" | "repeat" | "bot";
  country: string | null;
  city: string | null;
  device: string | null;
  browser: string | null;
  os: string | null;
  referrer: string | null;
  contact_id: string | null;
}

/** secret (sl_…): everything the API does; publishable (slp_…): only records
 * conversions, made to sit in a web page. */
export type KeyKind = "secret" | "publishable";
/** What a secret key may do: everything, or read only (GET and HEAD). */
export type KeyScope = "full" | "read_only";

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  kind: KeyKind;
  scope: KeyScope;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null; // to the minute; null: never used
}

export interface TenantSettings {
  collect_metadata: boolean;
  conversion_tracking: boolean; // the default of new links
  click_id_param: string; // the destination's query parameter that carries the click id
  attribution_window_days: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

let csrfToken = "";
let onUnauthorized: () => void = () => {};

export function useSession(token: string, unauthorized: () => void): void {
  csrfToken = token;
  onUnauthorized = unauthorized;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-Smartlinks-CSRF"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // an error page from a proxy: reported below by status
  }
  if (!response.ok) {
    const error = (payload as { error?: { code: string; message: string; field?: string } } | null)?.error;
    if (response.status === 401 && path.startsWith("/api/")) onUnauthorized();
    throw new ApiError(
      response.status,
      error?.code ?? "http_" + response.status,
      error?.message ?? `The server answered ${response.status}. Try again in a moment.`,
      error?.field,
    );
  }
  return payload as T;
}

/** A request's answer, or the ApiError it failed with: for a part of a page that can fail
 * on its own while the rest is shown. */
export function settled<T>(pending: Promise<T>): Promise<T | ApiError> {
  return pending.catch((e: unknown) => (e instanceof ApiError ? e : new ApiError(0, "unknown", String(e))));
}

const LINKS = "/api/v1/links";
const CAMPAIGNS = "/api/v1/campaigns";
const WEBHOOKS = "/api/v1/webhooks";
const segment = encodeURIComponent;

/** The address of a link's QR code image; the session cookie authorises reading it. */
export function qrUrl(id: string, format: "svg" | "png", options: { size?: number; download?: boolean } = {}): string {
  return withQuery(`${LINKS}/${segment(id)}/qr`, { format, size: options.size, download: options.download || null });
}

/** The addresses of the CSV downloads, with the page's filters; the session cookie
 * authorises them, so a plain link with `download` fetches the file. An export has no
 * buckets: the interval is left out. */
export const exportUrl = {
  linkClicks: (id: string, query: Query) => withQuery(`${LINKS}/${segment(id)}/clicks/export`, { ...query, interval: null }),
  campaignClicks: (campaign: string, query: Query) =>
    withQuery(`${CAMPAIGNS}/${segment(campaign)}/clicks/export`, { ...query, interval: null }),
  links: (query: Query) => withQuery(`${LINKS}/export`, query),
};

export const api = {
  links: (query: Query) => request<Page<Link>>("GET", withQuery(LINKS, query)),
  link: (id: string) => request<Link>("GET", `${LINKS}/${encodeURIComponent(id)}`),
  createLink: (body: Record<string, unknown>) => request<Link>("POST", LINKS, body),
  updateLink: (id: string, body: Record<string, unknown>) =>
    request<Link>("PATCH", `${LINKS}/${encodeURIComponent(id)}`, body),
  deleteLink: (id: string) => request<void>("DELETE", `${LINKS}/${encodeURIComponent(id)}`),
  analytics: (id: string, query: Query) =>
    request<Analytics>("GET", withQuery(`${LINKS}/${encodeURIComponent(id)}/analytics`, query)),
  clicks: (id: string, query: Query) =>
    request<Page<Click>>("GET", withQuery(`${LINKS}/${encodeURIComponent(id)}/clicks`, query)),
  domains: () => request<{ items: Domain[] }>("GET", "/api/v1/domains"),
  settings: () => request<TenantSettings>("GET", "/api/v1/settings"),
  // unknown: a field is sent as typed, so the server's own check speaks for it.
  updateSettings: (body: Partial<Record<keyof TenantSettings, unknown>>) =>
    request<TenantSettings>("PATCH", "/api/v1/settings", body),
  keys: () => request<{ items: ApiKey[] }>("GET", "/api/v1/keys"),
  createKey: (name: string, kind: KeyKind = "secret", scope: KeyScope = "full") =>
    request<ApiKey & { key: string }>("POST", "/api/v1/keys", kind === "secret" ? { name, kind, scope } : { name, kind }),
  revokeKey: (id: string) => request<void>("DELETE", `/api/v1/keys/${encodeURIComponent(id)}`),
  campaigns: (query: Query = {}) => request<Page<CampaignSummary>>("GET", withQuery(CAMPAIGNS, query)),
  campaignAnalytics: (campaign: string, query: Query) =>
    request<CampaignAnalytics>("GET", withQuery(`${CAMPAIGNS}/${segment(campaign)}/analytics`, query)),
  campaignFunnel: (campaign: string, query: Query) =>
    request<Funnel>("GET", withQuery(`${CAMPAIGNS}/${segment(campaign)}/funnel`, query)),
  linkFunnel: (id: string, query: Query) => request<Funnel>("GET", withQuery(`${LINKS}/${segment(id)}/funnel`, query)),
  contactClicks: (contact: string, query: Query) =>
    request<ContactClicks>("GET", withQuery(`/api/v1/contacts/${segment(contact)}/clicks`, query)),
  contactEvents: <K extends ContactEvents>(kind: K, contact: string, query: Query) =>
    request<Page<K extends "deliveries" ? ContactDelivery : ContactConversion>>(
      "GET",
      withQuery(`/api/v1/contacts/${segment(contact)}/${kind}`, query),
    ),
  webhooks: () => request<{ items: Webhook[] }>("GET", WEBHOOKS),
  webhook: (id: string) => request<Webhook>("GET", `${WEBHOOKS}/${segment(id)}`),
  createWebhook: (body: WebhookInput) => request<Webhook & { secret: string }>("POST", WEBHOOKS, body),
  updateWebhook: (id: string, body: Partial<WebhookInput>) =>
    request<Webhook>("PATCH", `${WEBHOOKS}/${segment(id)}`, body),
  deleteWebhook: (id: string) => request<void>("DELETE", `${WEBHOOKS}/${segment(id)}`),
  deliveries: (id: string, query: Query) =>
    request<Page<Delivery>>("GET", withQuery(`${WEBHOOKS}/${segment(id)}/deliveries`, query)),
};
