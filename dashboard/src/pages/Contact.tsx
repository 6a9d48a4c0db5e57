// One contact's clicks across every link and campaign, newest first, a page at a time,
// and the messages delivered to them and their conversions: the newest 100 of each come
// with the clicks, the rest a page at a time from their own lists.
// A contact is whoever an integration named in a link's `contact_id`.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  ApiError,
  type ContactClick,
  type ContactClicks,
  type ContactConversion,
  type ContactDelivery,
  type ContactEvents,
} from "../api";
import { Empty, Failed, Loading } from "../components/States";
import { dateTime, number } from "../format";
import { money } from "../funnel";
import { follow, href } from "../router";
import { equipment, KINDS, place } from "./figures";
import { linkLabel } from "./parts";
import { Pager, type MoreState } from "../components/Pager";

const PAGE_SIZE = 50;

export function ContactPage({ contact }: { contact: string }) {
  const [items, setItems] = useState<ContactClick[] | null>(null);
  const [funnel, setFunnel] = useState<FunnelLists | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState<MoreState>("idle");
  const [busy, setBusy] = useState(true);
  const latest = useRef(0);

  // The first page, again on Refresh: the clicks shown stay until the new ones are there.
  const load = useCallback(() => {
    const request = ++latest.current;
    setBusy(true);
    setMore("idle");
    api
      .contactClicks(contact, { limit: PAGE_SIZE })
      .then(
        (page) => {
          if (request !== latest.current) return;
          setItems(page.items);
          setFunnel(funnelOf(page));
          setCursor(page.next_cursor);
          setError(null);
        },
        (e: ApiError) => request === latest.current && setError(e),
      )
      .finally(() => request === latest.current && setBusy(false));
  }, [contact]);
  useEffect(load, [load]);

  const loadMore = async () => {
    if (!cursor || !items) return;
    const request = latest.current;
    setMore("busy");
    try {
      const page = await api.contactClicks(contact, { limit: PAGE_SIZE, cursor });
      if (request !== latest.current) return;
      setItems([...items, ...page.items]);
      setCursor(page.next_cursor);
      setMore("idle");
    } catch (e) {
      setMore(e as ApiError);
    }
  };

  return (
    <section aria-labelledby="contact-title">
      <a class="back" href={href({ name: "links" })} onClick={follow}>
        ← All links
      </a>
      <div class="page-head">
        <div class="page-title">
          <p class="eyebrow">Contact</p>
          <h1 id="contact-title" dir="auto">
            {contact}
          </h1>
          <p class="muted">
            Every click of this contact, on any link of any campaign, newest first
            {funnel && ", with the messages delivered to them and their conversions"}.
          </p>
        </div>
        <div class="actions">
          <button type="button" class="button" onClick={load} disabled={busy}>
            {busy && items !== null ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </div>

      {funnel && !error && <ContactFunnel contact={contact} funnel={funnel} setFunnel={setFunnel} clicks={items ?? []} />}
      {funnel && !error && <h2 class="section-title">Clicks</h2>}
      {error ? (
        <Failed error={error} retry={load} what="this contact's clicks" />
      ) : items === null ? (
        <Loading what="this contact's clicks" />
      ) : items.length === 0 ? (
        <Empty title="No clicks from this contact yet.">
          <p>Clicks on links made for this contact show up here within seconds.</p>
        </Empty>
      ) : (
        <>
          <table class="table boxed-table contact-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Link</th>
                <th scope="col">Campaign</th>
                <th scope="col">Kind</th>
                <th scope="col">Where</th>
                <th scope="col">Device</th>
                <th scope="col">Referrer</th>
              </tr>
            </thead>
            <tbody>
              {items.map((click) => (
                <tr key={click.id}>
                  <td data-label="When" class="nowrap">
                    <time dateTime={click.ts}>{dateTime(click.ts)}</time>
                  </td>
                  <td data-label="Link">
                    {click.link ? (
                      <a href={href({ name: "analytics", id: click.link.id })} onClick={follow} dir="auto">
                        {linkLabel(click.link)}
                      </a>
                    ) : (
                      <span class="muted">Deleted link</span>
                    )}
                  </td>
                  <CampaignCell campaign={click.campaign} />
                  <td data-label="Kind">
                    <span class={`badge badge-${click.kind}`}>{KINDS[click.kind] ?? click.kind}</span>
                  </td>
                  <td data-label="Where" dir="auto">
                    {place(click)}
                  </td>
                  <td data-label="Device">{equipment(click)}</td>
                  <td data-label="Referrer" dir="auto" class={click.referrer ? undefined : "cell-empty"}>
                    {click.referrer || <span class="muted">–</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            shown={{ count: items.length, one: "click", many: "clicks" }}
            hasMore={Boolean(cursor)}
            more={more}
            onMore={loadMore}
          />
        </>
      )}
    </section>
  );
}

interface FunnelLists {
  deliveries: ContactDelivery[];
  deliveries_next_cursor: string | null;
  conversions: ContactConversion[];
  conversions_next_cursor: string | null;
}

/** The contact's deliveries and conversions as the first page of clicks gives them; null
 * for a contact with neither (a link's contact that no message reached, say). */
function funnelOf(page: ContactClicks): FunnelLists | null {
  const { deliveries, deliveries_next_cursor, conversions, conversions_next_cursor } = page;
  if (!deliveries.length && !conversions.length) return null;
  return { deliveries, deliveries_next_cursor, conversions, conversions_next_cursor };
}

const EVENTS_PAGE = 100;

interface MoreProps {
  contact: string;
  kind: ContactEvents;
  funnel: FunnelLists;
  setFunnel: (update: (current: FunnelLists | null) => FunnelLists | null) => void;
}

/** "Load more" under a contact's deliveries or conversions, while the API has more. */
function LoadMoreEvents({ contact, kind, funnel, setFunnel }: MoreProps) {
  const [state, setState] = useState<"idle" | "busy" | ApiError>("idle");
  const cursor = funnel[`${kind}_next_cursor`];
  const shown = funnel[kind].length;
  const [one, what] = kind === "deliveries" ? ["delivery", "deliveries"] : ["conversion", "conversions"];
  const more = async () => {
    if (!cursor) return;
    setState("busy");
    try {
      const page = await api.contactEvents(kind, contact, { limit: EVENTS_PAGE, cursor });
      // Only onto the list the cursor came from: a Refresh since starts again.
      setFunnel((current) =>
        current && current[`${kind}_next_cursor`] === cursor
          ? { ...current, [kind]: [...current[kind], ...page.items], [`${kind}_next_cursor`]: page.next_cursor }
          : current,
      );
      setState("idle");
    } catch (e) {
      setState(e as ApiError);
    }
  };
  return (
    <div class="list-more">
      <span class="muted" aria-live="polite">
        {number(shown)} {shown === 1 ? one : what}
        {cursor ? " so far" : ""}
      </span>
      {cursor && (
        <button type="button" class="button" disabled={state === "busy"} onClick={more}>
          {state === "busy" ? "Loading…" : `Load more ${what}`}
        </button>
      )}
      {state instanceof ApiError && (
        <span class="form-error" role="alert">
          {state.message}
        </span>
      )}
    </div>
  );
}

const ATTRIBUTION: Record<string, [string, string]> = {
  click_id: ["Click id", "The site sent back the id of the click."],
  last_click: ["Last click", "The contact's last click in the campaign within the attribution window."],
  sent: ["As sent", "No click was found: the conversion counts as it was sent."],
};

function CampaignCell({ campaign }: { campaign: string | null }) {
  return (
    <td data-label="Campaign" dir="auto" class={campaign ? undefined : "cell-empty"}>
      {campaign ? (
        <a href={href({ name: "campaign", campaign })} onClick={follow}>
          {campaign}
        </a>
      ) : (
        <span class="muted">–</span>
      )}
    </td>
  );
}

interface FunnelProps {
  contact: string;
  funnel: FunnelLists;
  setFunnel: MoreProps["setFunnel"];
  clicks: ContactClick[];
}

function ContactFunnel({ contact, funnel, setFunnel, clicks }: FunnelProps) {
  // A conversion names its link by id: its title is known from the contact's clicks.
  const links = new Map(clicks.flatMap((click) => (click.link ? [[click.link.id, click.link] as const] : [])));
  return (
    <>
      <div class="panel">
        <h2 class="panel-title">Deliveries</h2>
        {funnel.deliveries.length === 0 ? (
          <p class="muted empty-list">No messages reported delivered to this contact.</p>
        ) : (
          <table class="table deliveries-list">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Campaign</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {funnel.deliveries.map((delivery) => (
                <tr key={delivery.id}>
                  <td data-label="When" class="nowrap">
                    <time dateTime={delivery.at}>{dateTime(delivery.at)}</time>
                  </td>
                  <CampaignCell campaign={delivery.campaign} />
                  <td data-label="Message" class={delivery.message_id ? "break-all" : "cell-empty"}>
                    {delivery.message_id ? <code>{delivery.message_id}</code> : <span class="muted">–</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {funnel.deliveries.length > 0 && (
          <LoadMoreEvents contact={contact} kind="deliveries" funnel={funnel} setFunnel={setFunnel} />
        )}
      </div>
      <div class="panel">
        <h2 class="panel-title">Conversions</h2>
        {funnel.conversions.length === 0 ? (
          <p class="muted empty-list">No conversions reported for this contact.</p>
        ) : (
          <table class="table conversions-list">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Conversion</th>
                <th scope="col">Campaign</th>
                <th scope="col">Link</th>
                <th scope="col" class="num">
                  Value
                </th>
                <th scope="col">Attribution</th>
              </tr>
            </thead>
            <tbody>
              {funnel.conversions.map((conversion) => {
                const link = conversion.link_id ? links.get(conversion.link_id) : undefined;
                const [how, why] = ATTRIBUTION[conversion.attribution] ?? [conversion.attribution, ""];
                return (
                  <tr key={conversion.id}>
                    <td data-label="When" class="nowrap">
                      <time dateTime={conversion.at}>{dateTime(conversion.at)}</time>
                    </td>
                    <td data-label="Conversion" dir="auto">
                      {conversion.name}
                    </td>
                    <CampaignCell campaign={conversion.campaign} />
                    <td data-label="Link" class={conversion.link_id ? undefined : "cell-empty"}>
                      {conversion.link_id ? (
                        <a href={href({ name: "analytics", id: conversion.link_id })} onClick={follow} dir="auto">
                          {link ? linkLabel(link) : "Open link"}
                        </a>
                      ) : (
                        <span class="muted">–</span>
                      )}
                    </td>
                    <td data-label="Value" class={conversion.value && conversion.currency ? "num" : "num cell-empty"}>
                      {conversion.value && conversion.currency ? (
                        money(conversion.value, conversion.currency)
                      ) : (
                        <span class="muted">–</span>
                      )}
                    </td>
                    <td data-label="Attribution" title={why}>
                      {how}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {funnel.conversions.length > 0 && (
          <LoadMoreEvents contact={contact} kind="conversions" funnel={funnel} setFunnel={setFunnel} />
        )}
      </div>
    </>
  );
}
