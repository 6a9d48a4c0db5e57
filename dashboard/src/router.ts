// A tiny history router: screens have real paths under /dashboard, so a reload or a shared
// address opens the same screen.

import { useEffect, useState } from "preact/hooks";

export const BASE = "/dashboard";

export type Route =
  | { name: "links" }
  | { name: "analytics"; id: string }
  | { name: "settings" }
  | { name: "not-found" };

export function parse(pathname: string): Route {
  const path = pathname.replace(/\/+$/, "");
  if (path === BASE || path === `${BASE}/links`) return { name: "links" };
  if (path === `${BASE}/settings`) return { name: "settings" };
  const match = /^\/dashboard\/links\/([0-9a-f]{32})$/.exec(path);
  if (match) return { name: "analytics", id: match[1] };
  return { name: "not-found" };
}

export function href(route: Route): string {
  switch (route.name) {
    case "analytics":
      return `${BASE}/links/${route.id}`;
    case "settings":
      return `${BASE}/settings`;
    default:
      return `${BASE}/links`;
  }
}

const CHANGED = "smartlinks:navigate";

export function navigate(to: string, replace = false): void {
  if (to === location.pathname) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGED));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parse(location.pathname));
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
  navigate(anchor.pathname);
}
