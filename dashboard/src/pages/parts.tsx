// Small pieces that show a link the same way everywhere.

import type { Link } from "../api";
import { dateTime, shownUrl } from "../format";
import { follow, linksHref } from "../router";
import { ruleMarkers } from "../rules";

/** What a link is called where there is room for one line: its title, else its
 * destination's host, else its code. */
export function linkLabel(link: Pick<Link, "title" | "destination_url" | "code">): string {
  return link.title || shownUrl(link.destination_url).host || link.code;
}

/** Title over destination. Both are text nodes (never markup); the URL is shown in ASCII
 * with a punycode host, and flagged when the host is internationalised. */
export function LinkName({ link }: { link: Link }) {
  return (
    <span class="link-name">
      <span class="link-title" dir="auto">
        {linkLabel(link)}
      </span>
      <span class="link-url">
        <SafeUrl url={link.destination_url} />
      </span>
    </span>
  );
}

export function SafeUrl({ url }: { url: string }) {
  const shown = shownUrl(url);
  return (
    <>
      <span class="url" title={shown.href}>
        {shown.text}
      </span>
      {shown.idn && (
        <span
          class="badge badge-warn badge-after"
          title="Internationalised domain name, shown in its punycode (xn--) form so that look-alike letters cannot imitate another site."
        >
          IDN
        </span>
      )}
    </>
  );
}

export function StatusBadge({ link }: { link: Link }) {
  return link.status === "active" ? (
    <span class="badge badge-ok" title={link.expires_at ? `Expires ${dateTime(link.expires_at)}` : "Never expires"}>
      Active
    </span>
  ) : (
    <span class="badge badge-muted" title={`Expired ${dateTime(link.expires_at)}`}>
      Expired
    </span>
  );
}

/** A links row's second line: a lock for a password, a word for each other rule, and the
 * link's tags, each a filter of the list (kept within the campaign shown). */
export function RuleMarks({ link, campaign }: { link: Link; campaign?: string }) {
  const markers = ruleMarkers(link);
  const tags = link.tags ?? [];
  if (!link.has_password && markers.length === 0 && tags.length === 0) return null;
  return (
    <span class="rule-marks">
      {link.has_password && <Lock />}
      {markers.map((marker) => (
        <span key={marker} class="badge badge-info">
          {marker}
        </span>
      ))}
      {tags.map((tag) => (
        <a key={tag} class="chip chip-link chip-tag" href={linksHref(campaign, tag)} onClick={follow} dir="auto" title={`Links tagged “${tag}”`}>
          {tag}
        </a>
      ))}
    </span>
  );
}

export function Lock() {
  return (
    <span class="lock" role="img" aria-label="Password protected" title="Password protected">
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path
          fill="currentColor"
          d="M8 1a3.5 3.5 0 0 0-3.5 3.5V7H4a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V8a1 1 0 0 0-1-1h-.5V4.5A3.5 3.5 0 0 0 8 1Zm2 6H6V4.5a2 2 0 1 1 4 0V7Z"
        />
      </svg>
    </span>
  );
}
