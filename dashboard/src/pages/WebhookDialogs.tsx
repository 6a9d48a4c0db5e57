// Making, changing and deleting a webhook, shared by the webhooks list and a webhook's
// delivery log. The server validates; its errors are shown next to their field. A new
// webhook's signing secret is shown once, right after it is made.

import { useEffect, useState } from "preact/hooks";
import { api, ApiError, WEBHOOK_EVENTS, type CampaignSummary, type Link, type Webhook } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { CopyButton } from "../components/CopyButton";
import { Dialog } from "../components/Dialog";
import { notify } from "../components/Notices";
import { shownUrl } from "../format";
import { EVENT_NAMES, formOf, webhookBody, type WebhookForm } from "../webhooks";

type Field = "url" | "events" | "campaign" | "link_id" | "include_bots" | "enabled";
const FIELDS: Field[] = ["url", "events", "campaign", "link_id", "include_bots", "enabled"];

interface EditProps {
  webhook?: Webhook; // absent: create a new webhook
  onClose: () => void;
  onSaved: (webhook: Webhook, secret?: string) => void;
}

export function WebhookDialog({ webhook, onClose, onSaved }: EditProps) {
  const [form, setForm] = useState<WebhookForm>(() => formOf(webhook));
  const [errors, setErrors] = useState<Partial<Record<Field | "form", string>>>({});
  const [busy, setBusy] = useState(false);
  const [campaigns, setCampaigns] = useState<CampaignSummary[]>([]);
  const [links, setLinks] = useState<Link[]>([]);
  const set = (change: Partial<WebhookForm>) => setForm((current) => ({ ...current, ...change }));

  useEffect(() => {
    // Suggestions only: the fields take any value, so a failure here is no error.
    api.campaigns({ limit: 200 }).then((page) => setCampaigns(page.items), () => setCampaigns([]));
  }, []);
  useEffect(() => {
    const typed = form.linkId.trim();
    if (/^[0-9a-f]{32}$/.test(typed)) return; // an id already: nothing to suggest
    const timer = setTimeout(() => {
      api.links({ search: typed, limit: 8 }).then((page) => setLinks(page.items), () => setLinks([]));
    }, 250);
    return () => clearTimeout(timer);
  }, [form.linkId]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!form.url.trim()) {
      setErrors({ url: "Enter the address to send events to, e.g. https://example.com/hooks/smartlinks." });
      return;
    }
    if (form.events.length === 0) {
      setErrors({ events: "Choose at least one event." });
      return;
    }
    const body = webhookBody(form, webhook);
    if (webhook && Object.keys(body).length === 0) return onClose(); // nothing changed
    setBusy(true);
    setErrors({});
    try {
      if (webhook) {
        const saved = await api.updateWebhook(webhook.id, body);
        notify("Webhook saved.");
        onSaved(saved);
      } else {
        const { secret, ...created } = await api.createWebhook(body as Required<typeof body>);
        onSaved(created, secret);
      }
    } catch (e) {
      const error = e as ApiError;
      const field = FIELDS.find((name) => error.field === name || error.field?.startsWith(`${name}[`));
      setErrors(field ? { [field]: error.message } : { form: error.message });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: Field) =>
    errors[name] && (
      <span id={`webhook-${name}-error`} class="field-error" role="alert">
        {errors[name]}
      </span>
    );
  const described = (name: Field, hint?: string) => {
    const ids = [hint, errors[name] ? `webhook-${name}-error` : undefined].filter(Boolean).join(" ");
    return { "aria-invalid": errors[name] ? true : undefined, "aria-describedby": ids || undefined };
  };

  return (
    <Dialog title={webhook ? "Edit webhook" : "New webhook"} onClose={onClose}>
      <form class="form" onSubmit={submit} noValidate>
        <label class="field">
          <span class="label">
            Endpoint URL <span class="required">(required)</span>
          </span>
          <input
            name="url"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder="https://example.com/hooks/smartlinks"
            value={form.url}
            onInput={(e) => set({ url: e.currentTarget.value })}
            autoFocus
            {...described("url", "webhook-url-hint")}
          />
          <span id="webhook-url-hint" class="hint">
            Each event is POSTed here as JSON, signed with the webhook's secret.
          </span>
          {fieldError("url")}
        </label>
        <fieldset class="field fieldset" {...described("events")}>
          <legend class="label">Events</legend>
          {WEBHOOK_EVENTS.map((name) => (
            <label class="check" key={name}>
              <input
                type="checkbox"
                name="events"
                value={name}
                checked={form.events.includes(name)}
                onChange={(e) =>
                  set({
                    events: e.currentTarget.checked
                      ? [...form.events, name]
                      : form.events.filter((event) => event !== name),
                  })
                }
              />
              <span>
                {EVENT_NAMES[name]} <code class="muted">{name}</code>
              </span>
            </label>
          ))}
          {fieldError("events")}
        </fieldset>
        <label class="field">
          <span class="label">Campaign</span>
          <input
            name="campaign"
            list="webhook-campaigns"
            maxLength={200}
            autoComplete="off"
            placeholder="Every campaign"
            value={form.campaign}
            onInput={(e) => set({ campaign: e.currentTarget.value })}
            {...described("campaign", "webhook-campaign-hint")}
          />
          <datalist id="webhook-campaigns">
            {campaigns.map((item) => (
              <option key={item.campaign} value={item.campaign} />
            ))}
          </datalist>
          <span id="webhook-campaign-hint" class="hint">
            Only clicks on this campaign's links. Blank for all.
          </span>
          {fieldError("campaign")}
        </label>
        <label class="field">
          <span class="label">Link</span>
          <input
            name="link_id"
            list="webhook-links"
            autoComplete="off"
            spellcheck={false}
            placeholder="Every link"
            value={form.linkId}
            onInput={(e) => set({ linkId: e.currentTarget.value })}
            {...described("link_id", "webhook-link-hint")}
          />
          <datalist id="webhook-links">
            {links.map((link) => (
              <option key={link.id} value={link.id} label={`${link.title || shownUrl(link.destination_url).host} · ${link.short_url}`} />
            ))}
          </datalist>
          <span id="webhook-link-hint" class="hint">
            Only clicks on one link: type to search your links, or paste a link ID. Blank for all.
          </span>
          {fieldError("link_id")}
        </label>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            name="include_bots"
            checked={form.includeBots}
            onChange={(e) => set({ includeBots: e.currentTarget.checked })}
            {...described("include_bots")}
          />
          <span>Include bot clicks</span>
        </label>
        {fieldError("include_bots")}
        {webhook && (
          <>
            <label class="switch">
              <input
                type="checkbox"
                role="switch"
                name="enabled"
                checked={form.enabled}
                onChange={(e) => set({ enabled: e.currentTarget.checked })}
                {...described("enabled")}
              />
              <span>Enabled</span>
            </label>
            {fieldError("enabled")}
          </>
        )}
        {errors.form && (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? "Saving…" : webhook ? "Save changes" : "Create webhook"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The signing secret of a webhook just made: copy it now, it is never shown again. */
export function SecretDialog({ secret, onClose }: { secret: string; onClose: () => void }) {
  return (
    <Dialog title="Webhook created" onClose={onClose}>
      <p>
        Copy its signing secret now and keep it with the receiving code: it will not be shown again. Each request
        carries a signature made with it, so your server can check that the event came from here.
      </p>
      <div class="secret">
        <input readOnly value={secret} aria-label="Signing secret" onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={secret} what="Copy signing secret" />
      </div>
      <div class="dialog-actions">
        <button type="button" class="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

interface DeleteProps {
  webhook: Webhook;
  onClose: () => void;
  onDeleted: () => void;
}

export function DeleteWebhookDialog({ webhook, onClose, onDeleted }: DeleteProps) {
  const remove = async () => {
    try {
      await api.deleteWebhook(webhook.id);
      notify("Webhook deleted.");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      notify("The webhook was already deleted.");
    }
    onDeleted();
  };
  return (
    <ConfirmDialog
      title="Delete this webhook?"
      confirmLabel="Delete webhook"
      busyLabel="Deleting…"
      onConfirm={remove}
      onClose={onClose}
    >
      <p>
        <code class="break-all">{shownUrl(webhook.url).text}</code> will receive no more events, and its delivery log
        is removed. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}

/** Turns a webhook on or off at once. */
export async function toggleWebhook(webhook: Webhook): Promise<Webhook> {
  const saved = await api.updateWebhook(webhook.id, { enabled: !webhook.enabled });
  notify(saved.enabled ? "Webhook enabled." : "Webhook disabled: no events are sent until it is enabled again.");
  return saved;
}
