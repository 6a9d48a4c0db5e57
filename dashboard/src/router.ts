// A tiny history router: screens have real paths under /dashboard, so a reload or a shared
// address opens the same screen. A campaign's name and a contact's id are free text (dots,
// slashes, "@"), so they travel in the query, where no path normalisation can touch them.

import { useEffect, useState } from "preact/hooks";

export const BASE = "/dashboard";

export type Route =
  | { name: "links"; campaign?: string; tag?: string }
  | { name: "analytics"; id: string }
  | { name: "campaigns" }
  | { name: "campaign"; campaign: string }
  | { name: "contact"; contact: string }
  | { name: "webhooks" }
  | { name: "webhook"; id: string }
  | { name: "settings" }
  | { name: "not-found" };

export function parse(pathname: string, search = ""): Route {
  const path = pathname.replace(/\/+$/, "");
  const params = new URLSearchParams(search);
  if (path === BASE || path === `${BASE}/links`) {
    const route: Route = { name: "links" };
    const campaign = params.get("campaign");
    const tag = params.get("tag");
    if (campaign) route.campaign = campaign;
    if (tag) route.tag = tag;
    return route;
  }
  if (path === `${BASE}/settings`) return { name: "settings" };
  if (path === `${BASE}/campaigns`) return { name: "campaigns" };
  if (path === `${BASE}/webhooks`) return { name: "webhooks" };
  if (path === `${BASE}/campaign`) {
    const campaign = params.get("name");
    return campaign ? { name: "campaign", campaign } : { name: "not-found" };
  }
  if (path === `${BASE}/contact`) {
    const contact = params.get("id");
    return contact ? { name: "contact", contact } : { name: "not-found" };
  }
  const link = /^\/dashboard\/links\/([0-9a-f]{32})$/.exec(path);
  if (link) return { name: "analytics", id: link[1] };
  const webhook = /^\/dashboard\/webhooks\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (webhook) return { name: "webhook", id: webhook[1] };
  return { name: "not-found" };
}

export function href(route: Route): string {
  switch (route.name) {
    case "analytics":
      return `${BASE}/links/${route.id}`;
    case "campaigns":
      return `${BASE}/campaigns`;
    case "campaign":
      return `${BASE}/campaign?name=${encodeURIComponent(route.campaign)}`;
    case "contact":
      return `${BASE}/contact?id=${encodeURIComponent(route.contact)}`;
    case "webhooks":
      return `${BASE}/webhooks`;
    case "webhook":
      return `${BASE}/webhooks/${route.id}`;
    case "settings":
      return `${BASE}/settings`;
    case "links":
      return linksHref(route.campaign, route.tag);
    default:
      return `${BASE}/links`;
  }
}

/** The links list, filtered to one campaign and one tag when they are named. */
export function linksHref(campaign?: string | null, tag?: string | null): string {
  const query = [
    campaign ? `campaign=${encodeURIComponent(campaign)}` : "",
    tag ? `tag=${encodeURIComponent(tag)}` : "",
  ].filter(Boolean);
  return query.length ? `${BASE}/links?${query.join("&")}` : `${BASE}/links`;
}

const CHANGED = "smartlinks:navigate";

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGED));
  window.scrollTo(0, 0);
}

function current(): Route {
  return parse(location.pathname, location.search);
}

/** The screen the address names. A screen that keeps its own state in the query (filters,
 * a search) rewrites it with history.replaceState, which does not change the route. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return route;
}

/** A click handler for in-app anchors: plain clicks navigate in place, modified clicks
 * (new tab, new window) are left to the browser. */
export function follow(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
