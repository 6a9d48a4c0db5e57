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

export interface Analytics {
  link: Link;
  range: { from: string; to: string; interval: string; tz: string };
  totals: { total: number; unique: number; bots: number };
  timeseries: Bucket[];
  countries: { country: string; clicks: number; unique: number }[];
  cities: { country: string; city: string; clicks: number }[];
  locations: { lat: number; lon: number; clicks: number }[];
  browsers: Named[];
  platforms: Named[];
  os: Named[];
  referrers: Named[];
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

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}

export interface TenantSettings {
  collect_metadata: boolean;
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

type Query = Record<string, string | number | boolean | null | undefined>;

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

const LINKS = "/api/v1/links";

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
  settings: () => request<TenantSettings>("GET", "/api/v1/settings"),
  updateSettings: (body: TenantSettings) => request<TenantSettings>("PATCH", "/api/v1/settings", body),
  keys: () => request<{ items: ApiKey[] }>("GET", "/api/v1/keys"),
  createKey: (name: string) => request<ApiKey & { key: string }>("POST", "/api/v1/keys", { name }),
  revokeKey: (id: string) => request<void>("DELETE", `/api/v1/keys/${encodeURIComponent(id)}`),
};
