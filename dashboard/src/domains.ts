// The account's own domains, for the link dialog's domain select (shown only when there
// are some).

import { api, type Domain } from "./api";

export async function ownDomains(): Promise<Domain[]> {
  return (await api.domains()).items;
}
