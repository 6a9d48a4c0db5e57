// Small pieces that show a link the same way everywhere.

import type { Link } from "../api";
import { dateTime, shownUrl } from "../format";

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
      <span class="url" title={shown.text}>
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
