// The frame of every signed-in screen: header with navigation and sign-out, the footer
// with the geolocation data's attribution (its licence, CC BY 4.0, asks for it).

import type { ComponentChildren } from "preact";
import { follow, type Route } from "../router";

interface Props {
  route: Route;
  tenant: string;
  onSignOut: () => void;
  children: ComponentChildren;
}

// The screens each entry of the navigation stands for: the list and what opens from it.
const SECTIONS: Record<string, Route["name"][]> = {
  links: ["links", "analytics", "contact"],
  campaigns: ["campaigns", "campaign"],
  webhooks: ["webhooks", "webhook"],
  settings: ["settings"],
};

export function Layout({ route, tenant, onSignOut, children }: Props) {
  // "page" on the list itself, "location" on a screen within its section
  const current = (section: string) =>
    SECTIONS[section].includes(route.name) ? (route.name === section ? "page" : "location") : undefined;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/dashboard/links" onClick={follow}>
          <img src="/dashboard/favicon.svg" alt="" width={24} height={24} />
          <span>Smart Links</span>
        </a>
        <nav aria-label="Main">
          <a href="/dashboard/links" onClick={follow} aria-current={current("links")}>
            Links
          </a>
          <a href="/dashboard/campaigns" onClick={follow} aria-current={current("campaigns")}>
            Campaigns
          </a>
          <a href="/dashboard/webhooks" onClick={follow} aria-current={current("webhooks")}>
            Webhooks
          </a>
          <a href="/dashboard/settings" onClick={follow} aria-current={current("settings")}>
            Settings
          </a>
        </nav>
        <div class="account">
          <span class="tenant" title="Account">
            {tenant}
          </span>
          <button type="button" class="button button-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main class="content">{children}</main>
      <footer class="footer">
        <a href="https://db-ip.com" target="_blank" rel="noopener noreferrer">
          IP geolocation by DB-IP
        </a>{" "}
        (licensed under{" "}
        <a href="https://creativecommons.org/licenses/by/4.0/" target="_blank" rel="noopener noreferrer">
          CC BY 4.0
        </a>
        )
      </footer>
    </div>
  );
}
