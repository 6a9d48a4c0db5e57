// The account's own domains, for the link dialog's domain select. A server without own
// domains does not serve /api/v1/domains, and a request that fails is an error in the
// browser's console; so the API's OpenAPI document is asked first, once a page load.

import { api, request, type Domain } from "./api";

let served: Promise<boolean> | null = null;

export async function ownDomains(): Promise<Domain[]> {
  served ??= request<{ paths?: Record<string, unknown> }>("GET", "/api/v1/openapi.json").then(
    (document) => "/api/v1/domains" in (document.paths ?? {}),
    () => false,
  );
  if (!(await served)) return [];
  return (await api.domains()).items;
}
