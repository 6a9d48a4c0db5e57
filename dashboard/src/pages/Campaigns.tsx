// Every campaign of the account: links that share a campaign name, with their clicks. A
// campaign exists as soon as a link names it (the API's `campaign` field).

import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, type CampaignSummary } from "../api";
import { Empty, Failed, Loading } from "../components/States";
import { date, dateTime, number } from "../format";
import { follow, href } from "../router";
import { Pager, type MoreState } from "../components/Pager";

const PAGE_SIZE = 50;
// The lifetime total counts every request of the campaign's short URLs; the Bots column says
// how many of them were bots and link previews.
const TOTAL_NOTE = "Total includes bots and link previews; Bots counts them.";

export function CampaignsPage() {
  const [items, setItems] = useState<CampaignSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState<MoreState>("idle");
  const load = useCallback(() => {
    setError(null);
    api.campaigns({ limit: PAGE_SIZE }).then((page) => {
      setItems(page.items);
      setCursor(page.next_cursor);
    }, setError);
  }, []);
  useEffect(load, [load]);

  const loadMore = async () => {
    if (!cursor) return;
    setMore("busy");
    try {
      const page = await api.campaigns({ limit: PAGE_SIZE, cursor });
      setItems((shown) => [...(shown ?? []), ...page.items]);
      setCursor(page.next_cursor);
      setMore("idle");
    } catch (e) {
      setMore(e as ApiError);
    }
  };

  return (
    <section aria-labelledby="campaigns-title">
      <div class="page-head">
        <div class="page-title">
          <h1 id="campaigns-title">Campaigns</h1>
          <p class="muted">Links that share a campaign name, counted together. The newest campaign comes first.</p>
        </div>
      </div>
      {error ? (
        <Failed error={error} retry={load} what="your campaigns" />
      ) : items === null ? (
        <Loading what="your campaigns" />
      ) : items.length === 0 ? (
        <Empty title="No campaigns yet.">
          <p>
            Give links a campaign name when you create them (the <code>campaign</code> field of the API, or
            Campaign in the new link dialog), and their clicks are counted together here.
          </p>
        </Empty>
      ) : (
        <>
          <table class="table boxed-table campaigns-table">
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col" class="num">
                  Links
                </th>
                <th scope="col" class="num" title={TOTAL_NOTE} aria-describedby="total-note">
                  Total<span aria-hidden="true">*</span>
                </th>
                <th scope="col" class="num">
                  Unique
                </th>
                <th scope="col" class="num">
                  Bots
                </th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.campaign}>
                  <td class="cell-link">
                    <a class="strong-link" href={href({ name: "campaign", campaign: item.campaign })} onClick={follow} dir="auto">
                      {item.campaign}
                    </a>
                  </td>
                  <td class="num" data-label="Links">
                    {number(item.links)}
                  </td>
                  <td class="num" data-label="Total">
                    {number(item.total)}
                  </td>
                  <td class="num" data-label="Unique">
                    {number(item.unique)}
                  </td>
                  <td class="num" data-label="Bots">
                    {number(item.bots)}
                  </td>
                  <td data-label="Last used">
                    {item.last_link_at ? (
                      <time dateTime={item.last_link_at} title={`Newest link made ${dateTime(item.last_link_at)}`}>
                        {date(item.last_link_at)}
                      </time>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="total-note" class="muted table-note">
            * {TOTAL_NOTE}
          </p>
          <Pager hasMore={Boolean(cursor)} more={more} onMore={loadMore} label="More campaigns" />
        </>
      )}
    </section>
  );
}
