// One contact's clicks across every link and campaign, newest first, a page at a time.
// A contact is whoever an integration named in a link's `contact_id`.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type ContactClick } from "../api";
import { Empty, Failed, Loading } from "../components/States";
import { dateTime, number, shownUrl } from "../format";
import { follow, href } from "../router";
import { equipment, KINDS, place } from "./figures";

const PAGE_SIZE = 50;

export function ContactPage({ contact }: { contact: string }) {
  const [items, setItems] = useState<ContactClick[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState<"idle" | "busy" | ApiError>("idle");
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
          <p class="muted">Every click of this contact, on any link of any campaign, newest first.</p>
        </div>
        <div class="actions">
          <button type="button" class="button" onClick={load} disabled={busy}>
            {busy && items !== null ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </div>

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
                        {click.link.title || shownUrl(click.link.destination_url).host || click.link.code}
                      </a>
                    ) : (
                      <span class="muted">Deleted link</span>
                    )}
                  </td>
                  <td data-label="Campaign" dir="auto" class={click.campaign ? undefined : "cell-empty"}>
                    {click.campaign ? (
                      <a href={href({ name: "campaign", campaign: click.campaign })} onClick={follow}>
                        {click.campaign}
                      </a>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
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
          <div class="pager">
            <span class="muted" aria-live="polite">
              {number(items.length)} {items.length === 1 ? "click" : "clicks"}
              {cursor ? " so far" : ""}
            </span>
            {cursor && (
              <button type="button" class="button" disabled={more === "busy"} onClick={loadMore}>
                {more === "busy" ? "Loading…" : "Load more"}
              </button>
            )}
          </div>
          {more instanceof ApiError && (
            <p class="form-error pager-error" role="alert">
              {more.message}
            </p>
          )}
        </>
      )}
    </section>
  );
}
