// Every link of the account, or one campaign's or tag's: search as you type, cursor
// pagination (a page at a time, so 100,000 links cost no more than 25), and each row's
// actions. A row shows the link's tags, a lock when it has a password and its other rules.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, exportUrl, type Link, type Page } from "../api";
import { CopyButton } from "../components/CopyButton";
import { Menu } from "../components/Menu";
import { Empty, Failed, Loading } from "../components/States";
import { date, dateTime, number } from "../format";
import { FIRST, nextPage, pageNumber, positionFrom, positionSearch, previousPage, type Position } from "../listPages";
import { follow, href, linksHref, navigate } from "../router";
import { DeleteDialog, LinkDialog } from "./LinkDialogs";
import { LinkName, RuleMarks, StatusBadge } from "./parts";

const PAGE_SIZE = 25;
// A link's count is every request of its short URL, as the API keeps it: say so, as a
// preview that unfurls the link in a chat counts as much as a person here.
const CLICKS_NOTE = "Clicks include bots and link previews. A link's page can leave them out.";

type Open = { kind: "create" } | { kind: "edit"; link: Link } | { kind: "delete"; link: Link } | null;

export function LinksPage({ campaign, tag }: { campaign?: string; tag?: string }) {
  const [typed, setTyped] = useState(() => new URLSearchParams(location.search).get("search") ?? "");
  const [search, setSearch] = useState(typed);
  const [position, setPosition] = useState<Position>(() => positionFrom(location.search, history.state));
  const [page, setPage] = useState<Page<Link> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [open, setOpen] = useState<Open>(null);
  const [reload, setReload] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (typed.trim() === search) return; // nothing new to look for: keep the page
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      setPosition(FIRST);
    }, 250);
    return () => clearTimeout(timer);
  }, [typed, search]);

  useEffect(() => {
    // The search and the page are kept in the address, so going back to the list, or a
    // reload, finds them again; the earlier pages' cursors go in the history entry.
    const params = new URLSearchParams();
    if (campaign) params.set("campaign", campaign);
    if (tag) params.set("tag", tag);
    if (search) params.set("search", search);
    const query = positionSearch(position, params.toString());
    history.replaceState({ cursors: position.cursors }, "", location.pathname + (query ? `?${query}` : ""));
  }, [search, campaign, tag, position]);

  const cursor = position.cursors[position.cursors.length - 1];
  useEffect(() => {
    const request = ++latest.current;
    setLoading(true);
    api
      .links({ search, campaign, tag, limit: PAGE_SIZE, cursor })
      .then((result) => {
        if (request !== latest.current) return; // an older search answered late
        setPage(result);
        setError(null);
      })
      .catch((e: ApiError) => {
        if (request !== latest.current) return;
        if (e.code === "invalid_cursor") setPosition(FIRST); // an address edited by hand, or from an older version
        else setError(e);
      })
      .finally(() => request === latest.current && setLoading(false));
  }, [search, campaign, tag, cursor, reload]);

  const refresh = () => setReload((n) => n + 1);
  const page1 = pageNumber(position) === 1;
  const firstPage = () => (page1 ? refresh() : setPosition(FIRST));

  return (
    <section aria-labelledby="links-title">
      <div class="page-head">
        <h1 id="links-title">Links</h1>
        <div class="actions">
          <a class="button" href={exportUrl.links({ search, campaign, tag })} download>
            Download CSV
          </a>
          <button type="button" data-change class="button button-primary" onClick={() => setOpen({ kind: "create" })}>
            New Link
          </button>
        </div>
      </div>
      <div class="toolbar">
        <label class="search">
          <span class="sr-only">Search links</span>
          <input
            type="search"
            placeholder="Search by title, URL or code"
            value={typed}
            maxLength={200}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
        {campaign && (
          <span class="chip">
            <span class="chip-label">Campaign</span>
            <a href={href({ name: "campaign", campaign })} onClick={follow} dir="auto" title="This campaign's analytics">
              {campaign}
            </a>
            <a class="chip-remove" href={linksHref(null, tag)} onClick={follow} aria-label="Show links of every campaign" title="Show links of every campaign">
              <span aria-hidden="true">×</span>
            </a>
          </span>
        )}
        {tag && (
          <span class="chip">
            <span class="chip-label">Tag</span>
            <span class="chip-text" dir="auto">
              {tag}
            </span>
            <a class="chip-remove" href={linksHref(campaign)} onClick={follow} aria-label="Show links of every tag" title="Show links of every tag">
              <span aria-hidden="true">×</span>
            </a>
          </span>
        )}
        {loading && page && <span class="spinner spinner-small" aria-label="Updating" />}
      </div>

      {error ? (
        <Failed error={error} retry={refresh} what="your links" />
      ) : !page ? (
        <Loading what="your links" />
      ) : page.items.length === 0 ? (
        search ? (
          <Empty title={campaign ? `No links of campaign “${campaign}” match “${search}”.` : `No links match “${search}”.`}>
            <p>Search looks in titles, destination URLs and codes. Try fewer letters.</p>
          </Empty>
        ) : !page1 ? (
          <Empty title="No more links.">
            <button type="button" class="button" onClick={firstPage}>
              Back to the first page
            </button>
          </Empty>
        ) : tag ? (
          <Empty title={campaign ? `No links of campaign “${campaign}” are tagged “${tag}”.` : `No links are tagged “${tag}”.`}>
            <a href={linksHref(campaign)} onClick={follow}>
              Show links of every tag
            </a>
          </Empty>
        ) : campaign ? (
          <Empty title={`No links in campaign “${campaign}”.`}>
            <a href={linksHref()} onClick={follow}>
              Show every link
            </a>
          </Empty>
        ) : (
          <Empty title="No links yet.">
            <p>Create a short link, share it, and every click shows up here.</p>
            <button type="button" data-change class="button button-primary" onClick={() => setOpen({ kind: "create" })}>
              Create your first link
            </button>
          </Empty>
        )
      ) : (
        <>
          <table class="table links-table">
            <thead>
              <tr>
                <th scope="col">Link</th>
                <th scope="col">Short URL</th>
                <th scope="col">Campaign</th>
                <th scope="col">Status</th>
                <th scope="col" class="num" title={CLICKS_NOTE} aria-describedby="clicks-note">
                  Clicks<span aria-hidden="true">*</span>
                </th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((link) => (
                <tr key={link.id} data-code={link.code}>
                  <td class="cell-link">
                    <a href={href({ name: "analytics", id: link.id })} onClick={follow}>
                      <LinkName link={link} />
                    </a>
                    <RuleMarks link={link} campaign={campaign} />
                  </td>
                  <td class="cell-short" data-label="Short URL">
                    <code class="short-url">{link.short_url.replace(/^https?:\/\//, "")}</code>
                    <CopyButton text={link.short_url} what="Copy short URL" class="button button-small" />
                  </td>
                  <td data-label="Campaign" class={link.campaign ? undefined : "cell-empty"}>
                    {link.campaign ? (
                      <a class="chip chip-link" href={href({ name: "campaign", campaign: link.campaign })} onClick={follow} dir="auto">
                        {link.campaign}
                      </a>
                    ) : (
                      <span class="muted">–</span>
                    )}
                  </td>
                  <td data-label="Status">
                    <StatusBadge link={link} />
                  </td>
                  <td class="num" data-label="Clicks">
                    {number(link.clicks)}
                  </td>
                  <td data-label="Created">
                    <time dateTime={link.created_at} title={dateTime(link.created_at)}>
                      {date(link.created_at)}
                    </time>
                  </td>
                  <td class="cell-actions">
                    <Menu
                      label={`Actions for ${link.title || link.code}`}
                      items={[
                        { label: "View Analytics", onSelect: () => navigate(href({ name: "analytics", id: link.id })) },
                        { label: "Edit", onSelect: () => setOpen({ kind: "edit", link }), change: true },
                        { label: "Delete", onSelect: () => setOpen({ kind: "delete", link }), danger: true, change: true },
                      ]}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="clicks-note" class="muted table-note">
            * {CLICKS_NOTE}
          </p>
          {(!page1 || page.next_cursor) && (
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              class="button"
              disabled={page1}
              onClick={() => setPosition(previousPage(position))}
            >
              Previous
            </button>
            <span class="muted">Page {number(pageNumber(position))}</span>
            <button
              type="button"
              class="button"
              disabled={!page.next_cursor}
              onClick={() => page.next_cursor && setPosition(nextPage(position, page.next_cursor))}
            >
              Next
            </button>
          </nav>
          )}
        </>
      )}

      {open?.kind === "create" && (
        <LinkDialog
          onClose={() => setOpen(null)}
          onSaved={() => {
            setOpen(null);
            setTyped("");
            setSearch("");
            firstPage();
          }}
        />
      )}
      {open?.kind === "edit" && (
        <LinkDialog
          link={open.link}
          onClose={() => setOpen(null)}
          onSaved={() => {
            setOpen(null);
            refresh();
          }}
        />
      )}
      {open?.kind === "delete" && (
        <DeleteDialog
          link={open.link}
          onClose={() => setOpen(null)}
          onDeleted={() => {
            setOpen(null);
            refresh();
          }}
        />
      )}
    </section>
  );
}
