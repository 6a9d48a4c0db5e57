// One link's analytics: totals, the link itself and its QR code, its funnel, clicks over
// time, where and on what, and the latest clicks. The figures refresh alone (see ./figures).

import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, exportUrl, settled, type Click, type Link, type Page, type Query, type VariantFigures } from "../api";
import { LOG_PAGE, logKey, logQuery, withNewest, withOlder, type Log } from "../clicklog";
import { CopyButton } from "../components/CopyButton";
import { Empty, Failed, Loading } from "../components/States";
import { filtersQuery } from "../filters";
import { dateTime, number, percent, ratio, timeZone } from "../format";
import { follow, href, linksHref, navigate } from "../router";
import { funnelQuery } from "../funnel";
import { targetConditions, variantShares } from "../rules";
import { equipment, FigurePanels, FilterBar, KINDS, place, StatCards, useLiveFigures } from "./figures";
import { DeleteDialog, LinkDialog } from "./LinkDialogs";
import { Lock, SafeUrl, StatusBadge } from "./parts";
import { FunnelPanel } from "./Funnel";
import { QrPanel } from "./QrPanel";
import { Pager, type MoreState } from "../components/Pager";

export function AnalyticsPage({ id }: { id: string }) {
  const [link, setLink] = useState<Link | null>(null);
  const [linkError, setLinkError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<"edit" | "delete" | null>(null);
  const load = useCallback(
    (query: Query) =>
      Promise.all([
        api.analytics(id, query),
        api.clicks(id, { ...logQuery(query), limit: LOG_PAGE }),
        settled(api.linkFunnel(id, funnelQuery(query))),
      ]).then(([figures, clicks, funnel]) => ({ figures, clicks, funnel, key: logKey(query) })),
    [id],
  );
  // Not while a dialog is open: the figures behind it need not move, and a refresh must not
  // race the deletion it is about to confirm.
  const live = useLiveFigures(load, open !== null);
  const { data, filters } = live;
  const error = live.error ?? linkError;

  useEffect(() => {
    api.link(id).then(setLink, (e: ApiError) => setLinkError(e));
  }, [id]);
  useEffect(() => {
    // A refresh that left before an edit can answer after it: never go back to an older link.
    if (data) {
      const fresh = data.figures.link;
      setLink((shown) => (shown && shown.id === fresh.id && Date.parse(shown.updated_at) > Date.parse(fresh.updated_at) ? shown : fresh));
    }
  }, [data]);

  if (error?.code === "link_not_found") {
    return (
      <Empty title="This link does not exist, or it was deleted.">
        <a href="/dashboard/links" onClick={follow}>
          Back to your links
        </a>
      </Empty>
    );
  }
  if (error && !link) return <Failed error={error} retry={() => location.reload()} what="this link" />;
  if (!link) return <Loading what="the link" />;

  const name = link.title || link.code;
  return (
    <section class="analytics" aria-labelledby="analytics-title">
      <a class="back" href="/dashboard/links" onClick={follow}>
        ← All links
      </a>
      <div class="page-head">
        <div class="page-title">
          <h1 id="analytics-title" dir="auto">
            {name}
          </h1>
          <p class="muted">
            <code>{link.short_url}</code> <StatusBadge link={link} />
          </p>
        </div>
        <div class="actions">
          <CopyButton text={link.short_url} what="Copy short URL" />
          {!live.invalid && (
            <a class="button" href={exportUrl.linkClicks(link.id, filtersQuery(filters, timeZone()))} download>
              Download CSV
            </a>
          )}
          <a class="button" href={link.short_url} target="_blank" rel="noopener noreferrer">
            Open
          </a>
          <button type="button" data-change class="button" onClick={() => setOpen("edit")}>
            Edit
          </button>
          <button type="button" data-change class="button button-danger-quiet" onClick={() => setOpen("delete")}>
            Delete
          </button>
        </div>
      </div>

      <StatCards totals={data?.figures.totals} excludeBots={filters.excludeBots} />

      <div class="link-row">
        <div class="panel link-panel">
          <h2 class="panel-title">Link</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd dir="auto">{link.title || <span class="muted">No title</span>}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge link={link} />
            </dd>
            <dt>Short URL</dt>
            <dd>
              <code>{link.short_url}</code>
            </dd>
            <dt>Original URL</dt>
            <dd class="break">
              <SafeUrl url={link.destination_url} />
            </dd>
            <dt>Code</dt>
            <dd>
              <code>{link.code}</code>
            </dd>
            <dt>Lifetime clicks</dt>
            <dd>{number(link.clicks)}</dd>
            <dt>Created</dt>
            <dd>{dateTime(link.created_at)}</dd>
            <dt>Expires</dt>
            <dd>{link.expires_at ? dateTime(link.expires_at) : "Never"}</dd>
            <RuleFacts link={link} />
            {link.campaign !== null && (
              <>
                <dt>Campaign</dt>
                <dd dir="auto">
                  <a href={href({ name: "campaign", campaign: link.campaign })} onClick={follow}>
                    {link.campaign}
                  </a>
                </dd>
              </>
            )}
            {link.contact_id !== null && (
              <>
                <dt>Contact</dt>
                <dd dir="auto">
                  <a href={href({ name: "contact", contact: link.contact_id })} onClick={follow}>
                    {link.contact_id}
                  </a>
                </dd>
              </>
            )}
            <dt>Link ID</dt>
            <dd>
              <code>{link.id}</code>
            </dd>
          </dl>
        </div>
        <QrPanel link={link} />
      </div>

      <FilterBar live={live} />

      {live.error && !data ? (
        <Failed error={live.error} retry={live.retry} what="the analytics" />
      ) : !data ? (
        <Loading what="the analytics" />
      ) : (
        <>
          <FunnelPanel funnel={data.funnel} retry={live.retry} compact />
          <FigurePanels data={data.figures} excludeBots={filters.excludeBots}>
            {data.figures.variants && data.figures.variants.length > 0 && (
              <VariantsPanel variants={data.figures.variants} link={link} />
            )}
            <LatestClicks linkId={link.id} newest={data.clicks} query={filtersQuery(filters, timeZone())} logKey={data.key} />
          </FigurePanels>
        </>
      )}

      {open === "edit" && (
        <LinkDialog
          link={link}
          onClose={() => setOpen(null)}
          onSaved={(saved) => {
            setOpen(null);
            setLink(saved);
          }}
        />
      )}
      {open === "delete" && (
        <DeleteDialog link={link} onClose={() => setOpen(null)} onDeleted={() => navigate("/dashboard/links")} />
      )}
    </section>
  );
}

/** The link's rules and tags, each only when it has them. */
function RuleFacts({ link }: { link: Link }) {
  const targets = link.targets ?? [];
  const variants = link.variants ?? [];
  const shares = variantShares(variants.map((v) => String(v.weight)));
  return (
    <>
      {link.max_clicks != null && (
        <>
          <dt>Click limit</dt>
          <dd>
            {number(link.max_clicks)} {link.max_clicks === 1 ? "click" : "clicks"}
            {link.expired_url && (
              <>
                , then <SafeUrl url={link.expired_url} />
              </>
            )}
          </dd>
        </>
      )}
      {link.has_password && (
        <>
          <dt>Password</dt>
          <dd class="fact-icon">
            <Lock /> Set
          </dd>
        </>
      )}
      {targets.length > 0 && (
        <>
          <dt>Targets</dt>
          <dd>
            <ol class="fact-list">
              {targets.map((target, index) => (
                <li key={index}>
                  {targetConditions(target)} → <SafeUrl url={target.destination_url} />
                </li>
              ))}
            </ol>
          </dd>
        </>
      )}
      {variants.length > 0 && (
        <>
          <dt>Variants</dt>
          <dd>
            <ul class="fact-list">
              {variants.map((variant, index) => (
                <li key={index}>
                  {ratio(shares[index])} → <SafeUrl url={variant.destination_url} />
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      {(link.tags?.length ?? 0) > 0 && (
        <>
          <dt>Tags</dt>
          <dd class="fact-tags">
            {link.tags?.map((tag) => (
              <a key={tag} class="chip chip-link chip-tag" href={linksHref(null, tag)} onClick={follow} dir="auto">
                {tag}
              </a>
            ))}
          </dd>
        </>
      )}
    </>
  );
}

/** An A/B test's sides: each variant's clicks in the range, and its share of them. */
function VariantsPanel({ variants, link }: { variants: VariantFigures[]; link: Link }) {
  const total = variants.reduce((sum, row) => sum + row.clicks, 0);
  const current = new Set((link.variants ?? []).map((variant) => variant.destination_url));
  return (
    <div class="panel panel-wide">
      <h2 class="panel-title">Variants</h2>
      <table class="table variants-table">
        <thead>
          <tr>
            <th scope="col">Destination</th>
            <th scope="col" class="num">
              Clicks
            </th>
            <th scope="col" class="num">
              Unique
            </th>
            <th scope="col" class="num">
              Conversions
            </th>
            <th scope="col" class="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {variants.map((row, index) => (
            <tr key={index}>
              <td data-label="Destination" class="break">
                <SafeUrl url={row.destination_url} />
                {!current.has(row.destination_url) && (
                  <span class="badge badge-muted badge-after" title="No longer a variant of this link">
                    Removed
                  </span>
                )}
              </td>
              <td class="num" data-label="Clicks">
                {number(row.clicks)}
              </td>
              <td class="num" data-label="Unique">
                {number(row.unique)}
              </td>
              <td class="num" data-label="Conversions">
                {row.conversions === null ? <span class="muted" title="This link does not track conversions">–</span> : number(row.conversions)}
              </td>
              <td class="num" data-label="Share">
                {percent(row.clicks, total)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface LatestProps {
  linkId: string;
  newest: Page<Click>; // the newest page, as the figures' last refresh brought it
  query: Query; // the figures' query now
  logKey: string; // the query ``newest`` answers
}

/** The clicks in the range, newest first: the newest page moves with the figures, "Load
 * more" adds older ones. */
function LatestClicks({ linkId, newest, query, logKey: key }: LatestProps) {
  const [log, setLog] = useState<Log<Click> | null>(null);
  const [more, setMore] = useState<MoreState>("idle");
  useEffect(() => setLog((shown) => withNewest(shown, newest, key)), [newest, key]);
  useEffect(() => setMore("idle"), [key]);
  const shown = log ?? withNewest(null, newest, key);

  const loadMore = () => {
    if (!shown.cursor) return;
    setMore("busy");
    api.clicks(linkId, { ...logQuery(query), limit: LOG_PAGE, cursor: shown.cursor }).then(
      (page) => {
        setLog((current) => (current ? withOlder(current, page, logKey(query)) : current));
        setMore("idle");
      },
      (e: ApiError) => setMore(e),
    );
  };

  return (
    <div class="panel panel-wide">
      <h2 class="panel-title">Latest clicks</h2>
      {shown.items.length === 0 ? (
        <p class="muted empty-list">No clicks to list in this range. Open the short URL to see one arrive.</p>
      ) : (
        <>
          <table class="table clicks-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Kind</th>
                <th scope="col">Where</th>
                <th scope="col">Device</th>
                <th scope="col">Contact</th>
              </tr>
            </thead>
            <tbody>
              {shown.items.map((click) => (
                <tr key={click.id}>
                  <td data-label="When">{dateTime(click.ts)}</td>
                  <td data-label="Kind">
                    <span class={`badge badge-${click.kind}`}>{KINDS[click.kind] ?? click.kind}</span>
                  </td>
                  <td data-label="Where" dir="auto">
                    {place(click)}
                  </td>
                  <td data-label="Device">{equipment(click)}</td>
                  <td data-label="Contact" dir="auto" class={click.contact_id ? undefined : "cell-empty"}>
                    {click.contact_id ? (
                      <a href={href({ name: "contact", contact: click.contact_id })} onClick={follow}>
                        {click.contact_id}
                      </a>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            shown={{ count: shown.items.length, one: "click", many: "clicks" }}
            hasMore={Boolean(shown.cursor)}
            more={more}
            onMore={loadMore}
          />
        </>
      )}
    </div>
  );
}
