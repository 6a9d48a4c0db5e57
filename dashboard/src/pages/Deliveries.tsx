// One webhook: what it sends where, and its delivery log (newest first, a page at a time),
// each delivery with its attempts and the answers they got. The log refreshes every few
// seconds while shown, so a delivery can be watched from pending to delivered.

import { Fragment } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Delivery, type DeliveryResponse, type Webhook } from "../api";
import { notify } from "../components/Notices";
import { Empty, Failed, Loading } from "../components/States";
import { dateTime, number, shownUrl } from "../format";
import { follow, href, navigate } from "../router";
import { attemptOk, attemptOutcome, DELIVERY_STATUS, EVENT_NAMES, mergeFirstPage, webhookScope } from "../webhooks";
import { usePolling } from "./figures";
import { DeleteWebhookDialog, toggleWebhook, WebhookDialog } from "./WebhookDialogs";
import { linkLabel, useLinkNames, WebhookStatus } from "./Webhooks";
import { Pager, type MoreState } from "../components/Pager";

const PAGE_SIZE = 25;

interface Log {
  items: Delivery[];
  cursor: string | null;
  pages: number; // pages loaded: a refresh replaces the log only while it is one page
}

export function WebhookPage({ id }: { id: string }) {
  const [webhook, setWebhook] = useState<Webhook | null | undefined>(undefined); // null: no such webhook
  const [log, setLog] = useState<Log | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [more, setMore] = useState<MoreState>("idle");
  const [open, setOpen] = useState<"edit" | "delete" | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const links = useLinkNames([webhook?.link_id ?? null]);
  const latest = useRef(0);

  const refresh = useCallback(() => {
    const request = ++latest.current;
    Promise.all([api.webhook(id), api.deliveries(id, { limit: PAGE_SIZE })])
      .then(([found, page]) => {
        if (request !== latest.current) return;
        setWebhook(found);
        setError(null);
        setLog((shown) =>
          !shown || shown.pages === 1
            ? { items: page.items, cursor: page.next_cursor, pages: 1 }
            : { ...shown, items: mergeFirstPage(page.items, shown.items) },
        );
      })
      .catch((e: ApiError) => {
        if (request !== latest.current) return;
        if (e.status === 404) setWebhook(null);
        else setError(e);
      });
  }, [id]);
  useEffect(refresh, [refresh]);
  usePolling(refresh, open === null && webhook !== null);

  const loadMore = async () => {
    if (!log?.cursor) return;
    setMore("busy");
    try {
      const page = await api.deliveries(id, { limit: PAGE_SIZE, cursor: log.cursor });
      setLog((shown) => {
        const known = new Set(shown?.items.map((item) => item.id));
        const items = [...(shown?.items ?? []), ...page.items.filter((item) => !known.has(item.id))];
        return { items, cursor: page.next_cursor, pages: (shown?.pages ?? 1) + 1 };
      });
      setMore("idle");
    } catch (e) {
      setMore(e as ApiError);
    }
  };

  const toggle = async (target: Webhook) => {
    try {
      setWebhook(await toggleWebhook(target));
    } catch (e) {
      notify((e as Error).message, "error");
    }
  };

  const flip = (deliveryId: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(deliveryId)) next.add(deliveryId);
      return next;
    });

  if (webhook === null) {
    return (
      <Empty title="This webhook does not exist, or it was deleted.">
        <a href={href({ name: "webhooks" })} onClick={follow}>
          Back to your webhooks
        </a>
      </Empty>
    );
  }
  if (error && !webhook) return <Failed error={error} retry={refresh} what="this webhook" />;
  if (!webhook) return <Loading what="the webhook" />;

  const url = shownUrl(webhook.url);
  return (
    <section aria-labelledby="webhook-title">
      <a class="back" href={href({ name: "webhooks" })} onClick={follow}>
        ← All webhooks
      </a>
      <div class="page-head">
        <div class="page-title">
          <p class="eyebrow">Webhook</p>
          <h1 id="webhook-title">{url.host || url.text}</h1>
          <p class="muted">
            <WebhookStatus webhook={webhook} />
          </p>
        </div>
        <div class="actions">
          <button type="button" data-change class="button" onClick={() => setOpen("edit")}>
            Edit
          </button>
          <button type="button" data-change class="button" onClick={() => toggle(webhook)}>
            {webhook.enabled ? "Disable" : "Enable"}
          </button>
          <button type="button" data-change class="button button-danger-quiet" onClick={() => setOpen("delete")}>
            Delete
          </button>
        </div>
      </div>

      <div class="panel">
        <h2 class="panel-title">Settings</h2>
        <dl class="facts">
          <dt>Endpoint</dt>
          <dd>
            <code>{url.text}</code>
          </dd>
          <dt>Events</dt>
          <dd>{webhook.events.map((event) => EVENT_NAMES[event] ?? event).join(", ")}</dd>
          <dt>Clicks</dt>
          <dd dir="auto">
            {webhook.link_id ? (
              <a href={href({ name: "analytics", id: webhook.link_id })} onClick={follow}>
                {webhookScope(webhook, linkLabel(links[webhook.link_id]))}
              </a>
            ) : webhook.campaign ? (
              <a href={href({ name: "campaign", campaign: webhook.campaign })} onClick={follow}>
                {webhookScope(webhook)}
              </a>
            ) : (
              webhookScope(webhook)
            )}
            {webhook.include_bots ? ", bots included" : ", people only (no bots)"}
          </dd>
          <dt>Created</dt>
          <dd>{dateTime(webhook.created_at)}</dd>
          <dt>Changed</dt>
          <dd>{dateTime(webhook.updated_at)}</dd>
        </dl>
      </div>

      <div class="panel">
        <div class="panel-head">
          <h2 class="panel-title" id="log-title">
            Delivery log
          </h2>
          <span class="muted">Newest first, refreshed every few seconds</span>
        </div>
        {error && (
          <p class="banner" role="status">
            Live updates paused: {error.message} Retrying every few seconds.
          </p>
        )}
        {log === null ? (
          <Loading what="the delivery log" />
        ) : log.items.length === 0 ? (
          <p class="muted empty-list">
            No deliveries yet. {webhook.enabled ? "The next matching click is sent here within seconds." : "This webhook is disabled: enable it to send events."}
          </p>
        ) : (
          <table class="table deliveries-table" aria-labelledby="log-title">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last response</th>
                <th scope="col">
                  <span class="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {log.items.map((delivery) => (
                <Fragment key={delivery.id}>
                  <DeliveryRow delivery={delivery} open={expanded.has(delivery.id)} onFlip={() => flip(delivery.id)} />
                  {expanded.has(delivery.id) && <AttemptsRow delivery={delivery} />}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
        <Pager
          shown={
            log && log.items.length > 0
              ? { count: log.items.length, one: "delivery", many: "deliveries" }
              : undefined
          }
          hasMore={Boolean(log?.cursor) && (log?.items.length ?? 0) > 0}
          more={more}
          onMore={loadMore}
        />
      </div>

      {open === "edit" && (
        <WebhookDialog
          webhook={webhook}
          onClose={() => setOpen(null)}
          onSaved={(saved) => {
            setOpen(null);
            setWebhook(saved);
          }}
        />
      )}
      {open === "delete" && (
        <DeleteWebhookDialog
          webhook={webhook}
          onClose={() => setOpen(null)}
          onDeleted={() => navigate(href({ name: "webhooks" }))}
        />
      )}
    </section>
  );
}

function DeliveryRow({ delivery, open, onFlip }: { delivery: Delivery; open: boolean; onFlip: () => void }) {
  const status = DELIVERY_STATUS[delivery.status] ?? { label: delivery.status, badge: "badge-muted" };
  const last = delivery.last_response;
  return (
    <tr data-id={delivery.id} data-status={delivery.status}>
      <td data-label="When" class="nowrap">
        <time dateTime={delivery.created_at}>{dateTime(delivery.created_at)}</time>
      </td>
      <td data-label="Event">
        {EVENT_NAMES[delivery.type] ?? delivery.type}
        <code class="muted cell-detail" title={delivery.event_id}>
          {delivery.event_id}
        </code>
      </td>
      <td data-label="Status">
        <span class={`badge ${status.badge}`}>{status.label}</span>
        {delivery.status === "pending" && (
          <span class="muted cell-detail">
            {delivery.next_attempt_at ? `next try ${dateTime(delivery.next_attempt_at)}` : "waits until the webhook is enabled"}
          </span>
        )}
        {delivery.status === "delivered" && delivery.delivered_at && (
          <span class="muted cell-detail">{dateTime(delivery.delivered_at)}</span>
        )}
      </td>
      <td class="num" data-label="Attempts">
        {number(delivery.attempts)}
      </td>
      <td data-label="Response">
        <span class={last && !attemptOk(last) ? "danger-text" : undefined}>{attemptOutcome(last)}</span>
      </td>
      <td class="cell-more">
        <button
          type="button"
          class="button button-small"
          aria-expanded={open}
          aria-controls={`attempts-${delivery.id}`}
          onClick={onFlip}
        >
          {open ? "Hide attempts" : "Attempts"}
        </button>
      </td>
    </tr>
  );
}

/** The attempts of a delivery, newest first as the log keeps them (the oldest may have
 * been let go: numbering counts down from the number of attempts made). */
function AttemptsRow({ delivery }: { delivery: Delivery }) {
  const attempts = delivery.attempt_log.length > 0 ? delivery.attempt_log : delivery.last_response ? [delivery.last_response] : [];
  const made = Math.max(delivery.attempts, attempts.length);
  return (
    <tr class="attempts-row" id={`attempts-${delivery.id}`}>
      <td colSpan={6}>
        {attempts.length === 0 ? (
          <p class="muted">Not attempted yet.</p>
        ) : (
          <ol class="attempts">
            {attempts.map((attempt, n) => (
              <Attempt key={`${attempt.at}-${n}`} attempt={attempt} n={made - n} />
            ))}
          </ol>
        )}
      </td>
    </tr>
  );
}

function Attempt({ attempt, n }: { attempt: DeliveryResponse; n: number }) {
  return (
    <li>
      <p>
        <strong>Attempt {number(n)}</strong> <span class="muted">{dateTime(attempt.at)}</span>{" "}
        <span class={attemptOk(attempt) ? "ok-text" : "danger-text"}>{attemptOutcome(attempt)}</span>
      </p>
      {attempt.error && attempt.status_code !== null && <p class="danger-text">{attempt.error}</p>}
      {attempt.body && (
        <pre class="response-body" aria-label={`Response body of attempt ${n}`}>
          {attempt.body}
        </pre>
      )}
    </li>
  );
}
