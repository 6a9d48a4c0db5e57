// Signing in and out: the API key is sent once to /dashboard/session, which answers with
// an HttpOnly cookie the page's scripts cannot read, and a CSRF token they echo on changes.

import { request, type KeyScope } from "./api";

export interface Session {
  signed_in: true;
  tenant: { id: string; name: string };
  key_ids: string[];
  csrf_token: string;
  expires_at: string;
  scope: KeyScope; // read_only: signed in with a read-only key, the pages change nothing
}

const PATH = "/dashboard/session";

export async function currentSession(): Promise<Session | null> {
  const status = await request<Session | { signed_in: false }>("GET", PATH);
  return status.signed_in ? status : null;
}

export function signIn(key: string): Promise<Session> {
  return request<Session>("POST", PATH, { key });
}

export function signOut(): Promise<void> {
  return request<void>("DELETE", PATH);
}
