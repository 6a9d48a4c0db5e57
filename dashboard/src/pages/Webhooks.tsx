// The account's webhooks: where click events are sent, which clicks, whether each is on
// (and why the service turned one off), with each one's actions and its delivery log.

import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, type Link, type Webhook } from "../api";
import { Menu } from "../components/Menu";
import { notify } from "../components/Notices";
import { Empty, Failed, Loading } from "../components/States";
import { date, dateTime, shownUrl } from "../format";
import { follow, href, navigate } from "../router";
import { disabledReason, EVENT_NAMES, webhookScope } from "../webhooks";
import { DeleteWebhookDialog, SecretDialog, toggleWebhook, WebhookDialog } from "./WebhookDialogs";

type Open =
  | { kind: "create" }
  | { kind: "secret"; secret: string }
  | { kind: "edit"; webhook: Webhook }
  | { kind: "delete"; webhook: Webhook }
  | null;

/** The links some webhooks are limited to, by id, for showing their names; a link that
 * cannot be read (deleted since) is left out and shown by its id. */
export function useLinkNames(ids: (string | null)[]): Record<string, Link> {
  const [links, setLinks] = useState<Record<string, Link>>({});
  const wanted = [...new Set(ids.filter((id): id is string => !!id))].sort().join(",");
  useEffect(() => {
    if (!wanted) return;
    let current = true;
    Promise.all(wanted.split(",").map((id) => api.link(id).catch(() => null))).then((found) => {
      if (current) setLinks(Object.fromEntries(found.filter((l): l is Link => l !== null).map((l) => [l.id, l])));
    });
    return () => {
      current = false;
    };
  }, [wanted]);
  return links;
}

export function linkLabel(link: Link | undefined): string | undefined {
  return link ? `${link.title || link.code} (${link.short_url.replace(/^https?:\/\//, "")})` : undefined;
}

export function WebhooksPage() {
  const [items, setItems] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const links = useLinkNames(items?.map((w) => w.link_id) ?? []);
  const load = useCallback(() => {
    setError(null);
    api.webhooks().then((page) => setItems(page.items), setError);
  }, []);
  useEffect(load, [load]);

  const toggle = async (webhook: Webhook) => {
    try {
      await toggleWebhook(webhook);
    } catch (e) {
      notify((e as Error).message, "error");
    }
    load();
  };

  return (
    <section aria-labelledby="webhooks-title">
      <div class="page-head">
        <div class="page-title">
          <h1 id="webhooks-title">Webhooks</h1>
          <p class="muted">Tell your own systems the moment a link is clicked: each click is POSTed as signed JSON.</p>
        </div>
        <button type="button" data-change class="button button-primary" onClick={() => setOpen({ kind: "create" })}>
          New webhook
        </button>
      </div>

      {error ? (
        <Failed error={error} retry={load} what="your webhooks" />
      ) : items === null ? (
        <Loading what="your webhooks" />
      ) : items.length === 0 ? (
        <Empty title="No webhooks yet.">
          <p>A webhook calls your server for every click, or only for one campaign's or one link's clicks.</p>
          <button type="button" data-change class="button button-primary" onClick={() => setOpen({ kind: "create" })}>
            Create your first webhook
          </button>
        </Empty>
      ) : (
        <table class="table boxed-table webhooks-table">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Sends</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((webhook) => (
              <tr key={webhook.id} data-id={webhook.id}>
                <td class="cell-link">
                  <a href={href({ name: "webhook", id: webhook.id })} onClick={follow}>
                    <span class="link-name">
                      <span class="link-title">{shownUrl(webhook.url).host || "Webhook"}</span>
                      <span class="link-url">
                        <span class="url" title={shownUrl(webhook.url).text}>
                          {shownUrl(webhook.url).text}
                        </span>
                      </span>
                    </span>
                  </a>
                </td>
                <td data-label="Sends">
                  {webhook.events.map((event) => EVENT_NAMES[event] ?? event).join(", ")}
                  <span class="muted cell-detail" dir="auto">
                    {webhookScope(webhook, linkLabel(links[webhook.link_id ?? ""]))}
                    {webhook.include_bots ? ", bots included" : ", people only"}
                  </span>
                </td>
                <td data-label="Status">
                  <WebhookStatus webhook={webhook} />
                </td>
                <td data-label="Created">
                  <time dateTime={webhook.created_at} title={dateTime(webhook.created_at)}>
                    {date(webhook.created_at)}
                  </time>
                </td>
                <td class="cell-actions">
                  <Menu
                    label={`Actions for the webhook to ${shownUrl(webhook.url).host || webhook.url}`}
                    items={[
                      { label: "Delivery log", onSelect: () => navigate(href({ name: "webhook", id: webhook.id })) },
                      { label: "Edit", onSelect: () => setOpen({ kind: "edit", webhook }) },
                      { label: webhook.enabled ? "Disable" : "Enable", onSelect: () => toggle(webhook) },
                      { label: "Delete", onSelect: () => setOpen({ kind: "delete", webhook }), danger: true },
                    ]}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {open?.kind === "create" && (
        <WebhookDialog
          onClose={() => setOpen(null)}
          onSaved={(_, secret) => {
            setOpen(secret ? { kind: "secret", secret } : null);
            load();
          }}
        />
      )}
      {open?.kind === "secret" && <SecretDialog secret={open.secret} onClose={() => setOpen(null)} />}
      {open?.kind === "edit" && (
        <WebhookDialog
          webhook={open.webhook}
          onClose={() => setOpen(null)}
          onSaved={() => {
            setOpen(null);
            load();
          }}
        />
      )}
      {open?.kind === "delete" && (
        <DeleteWebhookDialog
          webhook={open.webhook}
          onClose={() => setOpen(null)}
          onDeleted={() => {
            setOpen(null);
            load();
          }}
        />
      )}
    </section>
  );
}

export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (webhook.enabled) return <span class="badge badge-ok">Enabled</span>;
  return (
    <>
      <span class="badge badge-muted">Disabled</span>
      <span class="muted cell-detail">{disabledReason(webhook)}</span>
    </>
  );
}
