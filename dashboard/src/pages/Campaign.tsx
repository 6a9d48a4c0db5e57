// One campaign's analytics: its funnel (delivered → clicked → converted), the figures of
// all its links together, the contacts who clicked, and each link's own counts. Shares
// its filters and panels with a link's page. A campaign with no live link, known only from
// its deliveries or conversions, shows its funnel alone.

import { useCallback, useRef } from "preact/hooks";
import { api, ApiError, exportUrl, settled, type CampaignLink, type Funnel, type Query } from "../api";
import { Empty, Failed, Loading } from "../components/States";
import { filtersQuery } from "../filters";
import { number, shownUrl, timeZone } from "../format";
import { follow, href, linksHref } from "../router";
import { funnelQuery } from "../funnel";
import { FigurePanels, FilterBar, StatCards, useLiveFigures } from "./figures";
import { FunnelPanel } from "./Funnel";

export function CampaignPage({ campaign }: { campaign: string }) {
  // The funnel can fail on its own: the clicks are shown all the same. The funnel knows
  // every campaign (a live link, a delivery or a conversion) and has a row per live link;
  // the click figures know campaigns with live links only (404 otherwise). Both are asked
  // at once, but once a campaign showed no live link the funnel first says whether one
  // came, so its refreshes ask for no figures that would only be a 404.
  const linkless = useRef<string | null>(null); // the campaign last seen without live links
  const load = useCallback(
    async (query: Query) => {
      const asked = linkless.current === campaign ? null : settled(api.campaignAnalytics(campaign, query));
      const funnel = await settled(api.campaignFunnel(campaign, funnelQuery(query)));
      if (funnel instanceof ApiError && funnel.status === 404) throw funnel;
      const alone = { figures: null, funnel };
      if (!(funnel instanceof ApiError) && funnel.links.length === 0) {
        linkless.current = campaign;
        return alone;
      }
      linkless.current = null;
      const figures = await (asked ?? settled(api.campaignAnalytics(campaign, query)));
      if (!(figures instanceof ApiError)) return { figures, funnel };
      // Its last link deleted a moment ago: the funnel alone, as for no link at all.
      if (figures.status === 404 && !(funnel instanceof ApiError)) return alone;
      throw figures;
    },
    [campaign],
  );
  const live = useLiveFigures(load, false);
  const { data, error, filters } = live;
  const figures = data?.figures;

  if (error?.status === 404) {
    return (
      <Empty title="There is no campaign of that name.">
        <p>A campaign exists while a link names it, or once deliveries or conversions are reported for it.</p>
        <a href={href({ name: "campaigns" })} onClick={follow}>
          Back to your campaigns
        </a>
      </Empty>
    );
  }

  return (
    <section class="analytics" aria-labelledby="campaign-title">
      <a class="back" href={href({ name: "campaigns" })} onClick={follow}>
        ← All campaigns
      </a>
      <div class="page-head">
        <div class="page-title">
          <p class="eyebrow">Campaign</p>
          <h1 id="campaign-title" dir="auto">
            {campaign}
          </h1>
          <p class="muted">
            {figures
              ? `${number(figures.campaign.links)} ${figures.campaign.links === 1 ? "link" : "links"}`
              : data
                ? "No live links: known from its deliveries and conversions"
                : "\u00a0"}
          </p>
        </div>
        <div class="actions">
          <a class="button" href={linksHref(campaign)} onClick={follow}>
            View links
          </a>
          {figures && !live.invalid && (
            <a class="button" href={exportUrl.campaignClicks(campaign, filtersQuery(filters, timeZone()))} download>
              Download CSV
            </a>
          )}
        </div>
      </div>

      {(!data || figures) && <StatCards totals={figures?.totals} excludeBots={filters.excludeBots} contacts />}
      <FilterBar live={live} />

      {error && !data ? (
        <Failed error={error} retry={live.retry} what="the campaign's analytics" />
      ) : !data ? (
        <Loading what="the campaign's analytics" />
      ) : !figures ? (
        <>
          <FunnelPanel funnel={data.funnel} retry={live.retry} />
          <p class="muted empty-list">
            No link names this campaign any more (or none ever did), so there are no clicks to break down. Links
            made with this campaign name join it here.
          </p>
        </>
      ) : (
        <>
          <FunnelPanel funnel={data.funnel} retry={live.retry} />
          <FigurePanels data={figures} excludeBots={filters.excludeBots}>
            <CampaignLinks
              links={figures.links}
              total={figures.campaign.links}
              truncated={figures.links_truncated}
              funnel={data.funnel instanceof ApiError ? null : data.funnel}
            />
          </FigurePanels>
        </>
      )}
    </section>
  );
}

interface LinksProps {
  links: CampaignLink[];
  total: number;
  truncated: boolean;
  funnel: Funnel | null; // each link's converted contacts, when the funnel is there
}

function CampaignLinks({ links, total, truncated, funnel }: LinksProps) {
  const converted = new Map(funnel?.links.map((row) => [row.link_id, row.converted]));
  return (
    <div class="panel panel-wide">
      <div class="panel-head">
        <h2 class="panel-title">Links in this campaign</h2>
        {truncated && (
          <span class="muted" data-note="links">
            The {number(links.length)} with the most clicks of {number(total)}
          </span>
        )}
      </div>
      {funnel?.links_truncated && (
        <p class="muted table-note" data-note="funnel-links">
          Converted contacts are known for the {number(funnel.links.length)} links with the most clicked contacts of{" "}
          {number(total)}; the others show –.
        </p>
      )}
      {links.length === 0 ? (
        <p class="muted empty-list">No links in this campaign.</p>
      ) : (
        <table class="table campaign-links-table">
          <thead>
            <tr>
              <th scope="col">Link</th>
              <th scope="col">Contact</th>
              <th scope="col" class="num">
                Total
              </th>
              <th scope="col" class="num">
                Unique
              </th>
              <th scope="col" class="num">
                Bots
              </th>
              {funnel && (
                <th scope="col" class="num">
                  Converted
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {links.map((link) => (
              <tr key={link.id} data-code={link.code}>
                <td class="cell-link">
                  <a href={href({ name: "analytics", id: link.id })} onClick={follow}>
                    <span class="link-name">
                      <span class="link-title" dir="auto">
                        {link.title || shownUrl(link.destination_url).host || link.code}
                      </span>
                      <span class="link-url">
                        <code>{link.short_url.replace(/^https?:\/\//, "")}</code>
                      </span>
                    </span>
                  </a>
                </td>
                <td data-label="Contact" dir="auto" class={link.contact_id ? undefined : "cell-empty"}>
                  {link.contact_id ? (
                    <a href={href({ name: "contact", contact: link.contact_id })} onClick={follow}>
                      {link.contact_id}
                    </a>
                  ) : (
                    <span class="muted">–</span>
                  )}
                </td>
                <td class="num" data-label="Total">
                  {number(link.total)}
                </td>
                <td class="num" data-label="Unique">
                  {number(link.unique)}
                </td>
                <td class="num" data-label="Bots">
                  {number(link.bots)}
                </td>
                {funnel && (
                  <td class="num" data-label="Converted">
                    {converted.has(link.id) ? number(converted.get(link.id)!) : <span class="muted">–</span>}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
