// The create/edit dialog and the delete confirmation, shared by the links table and the
// analytics screen. The server validates; its errors are shown next to their field, in words.

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Domain, type Link } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Dialog } from "../components/Dialog";
import { notify } from "../components/Notices";
import { ownDomains } from "../domains";
import { linkErrorMessage, withScheme } from "../linkErrors";
import { endOfLocalDay, expiryDay, isoDate, number, shownUrl } from "../format";
import { errorPlace, errorsAfterChange, hasRules, inRules, MAX_TAGS, rulesBody, rulesForm, type RulesForm } from "../rules";
import { RulesSection } from "./LinkRules";

// Where the dialog can show an error: these fields, and every field of the Rules section.
const FIELDS: string[] = [
  "destination_url",
  "title",
  "code",
  "expires_at",
  "campaign",
  "conversion_tracking",
  "tags",
  "domain",
  "max_clicks",
  "expired_url",
  "password",
  "targets",
  "variants",
];
const shown = (place: string) => FIELDS.includes(place) || /^(targets|variants)\[\d+\]/.test(place);
// "targets[0].os" is no selector-friendly id; the error's id is made of safe characters.
const errorId = (place: string) => `${place.replace(/[^A-Za-z0-9_-]/g, "_")}-error`;

// A new link may leave conversion tracking to the account's default (the API's when the
// field is left out); a link, once made, has it on or off.
type Tracking = "default" | "on" | "off";

interface EditProps {
  link?: Link; // absent: create a new link
  onClose: () => void;
  onSaved: (link: Link) => void;
}

export function LinkDialog({ link, onClose, onSaved }: EditProps) {
  const [destination, setDestination] = useState(link?.destination_url ?? "");
  const [title, setTitle] = useState(link?.title ?? "");
  const [code, setCode] = useState("");
  const [expires, setExpires] = useState(expiryDay(link?.expires_at ?? null));
  const [campaign, setCampaign] = useState("");
  const [tracking, setTracking] = useState<Tracking>(link ? (link.conversion_tracking ? "on" : "off") : "default");
  const [rules, setRules] = useState<RulesForm>(() => rulesForm(link));
  const [rulesOpen, setRulesOpen] = useState(() => hasRules(link));
  const [domain, setDomain] = useState("");
  const [domains, setDomains] = useState<Domain[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (link) return; // a link's domain is chosen when it is made
    let live = true;
    ownDomains().then(
      (items) => live && setDomains(items),
      () => {}, // no select: the link goes on the service's own domain
    );
    return () => {
      live = false;
    };
  }, [link]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!destination.trim()) {
      setErrors({ destination_url: "Enter the address visitors should reach, e.g. https://example.com/sale." });
      return;
    }
    const sent = withScheme(destination);
    if (sent !== destination) setDestination(sent); // the form shows what was sent
    const body: Record<string, unknown> = { destination_url: sent };
    if (link) {
      body.title = title.trim() || null;
      // Only a changed date is sent, so an expiry set to the minute through the API is kept.
      if (expires !== expiryDay(link.expires_at)) body.expires_at = expires ? endOfLocalDay(expires) : null;
      if ((tracking === "on") !== link.conversion_tracking) body.conversion_tracking = tracking === "on";
    } else {
      if (title.trim()) body.title = title.trim();
      if (code.trim()) body.code = code.trim();
      if (expires) body.expires_at = endOfLocalDay(expires);
      if (campaign.trim()) body.campaign = campaign.trim();
      if (tracking !== "default") body.conversion_tracking = tracking === "on";
      if (domain) body.domain = domain;
    }
    Object.assign(body, rulesBody(rules, link));
    setBusy(true);
    setErrors({});
    try {
      const saved = link ? await api.updateLink(link.id, body) : await api.createLink(body);
      notify(link ? "Link saved." : `Link created: ${saved.short_url}`);
      onSaved(saved);
    } catch (e) {
      const error = e as ApiError;
      const place = errorPlace(error.field, rules);
      const message = linkErrorMessage(error);
      if (place && shown(place)) {
        setErrors({ [place]: message });
        if (inRules(place)) setRulesOpen(true);
      } else {
        setErrors({ form: message });
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (place: string) =>
    errors[place] && (
      <span id={errorId(place)} class="field-error" role="alert">
        {errors[place]}
      </span>
    );
  const invalid = (place: string) => (errors[place] ? { "aria-invalid": true, "aria-describedby": errorId(place) } : {});

  return (
    <Dialog title={link ? "Edit link" : "New link"} onClose={onClose}>
      <form class="form" onSubmit={submit} noValidate>
        <label class="field">
          <span class="label">
            Destination URL <span class="required">(required)</span>
          </span>
          <input
            name="destination_url"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder="https://example.com/landing-page"
            value={destination}
            onInput={(e) => setDestination(e.currentTarget.value)}
            autoFocus
            {...invalid("destination_url")}
          />
          {fieldError("destination_url")}
        </label>
        <label class="field">
          <span class="label">Title</span>
          <input
            name="title"
            maxLength={500}
            placeholder="Spring sale"
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
            {...invalid("title")}
          />
          {fieldError("title")}
        </label>
        <label class="field">
          <span class="label">Custom code</span>
          {link ? (
            <input name="code" value={link.code} readOnly disabled aria-describedby="code-hint" />
          ) : (
            <input
              name="code"
              autoComplete="off"
              spellcheck={false}
              placeholder="Blank to generate one"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
              aria-describedby="code-hint"
              {...invalid("code")}
            />
          )}
          <span id="code-hint" class="hint">
            {link ? "A link's code cannot be changed." : "4–12 letters and digits. Leave blank for a random code."}
          </span>
          {fieldError("code")}
        </label>
        <label class="field">
          <span class="label">Expiration date</span>
          <input
            name="expires_at"
            type="date"
            min={isoDate(new Date())}
            value={expires}
            onInput={(e) => setExpires(e.currentTarget.value)}
            aria-describedby="expires-hint"
            {...invalid("expires_at")}
          />
          <span id="expires-hint" class="hint">
            Blank for never. The link stops redirecting when this day ends (your time zone).
          </span>
          {fieldError("expires_at")}
        </label>
        {!link && (
          <label class="field">
            <span class="label">Campaign</span>
            <input
              name="campaign"
              maxLength={200}
              autoComplete="off"
              placeholder="e.g. Spring newsletter"
              value={campaign}
              onInput={(e) => setCampaign(e.currentTarget.value)}
              aria-describedby="campaign-hint"
              {...invalid("campaign")}
            />
            <span id="campaign-hint" class="hint">
              Optional. Links with the same campaign name are counted together under Campaigns.
            </span>
            {fieldError("campaign")}
          </label>
        )}
        {!link && domains.length > 0 && (
          <label class="field">
            <span class="label">Domain</span>
            <select name="domain" value={domain} onChange={(e) => setDomain(e.currentTarget.value)} {...invalid("domain")}>
              <option value="">The service's own domain</option>
              {domains.map((item) => (
                <option key={item.id} value={item.domain}>
                  {item.domain}
                </option>
              ))}
            </select>
            {fieldError("domain")}
          </label>
        )}
        <label class="field">
          <span class="label">Tags</span>
          <input
            name="tags"
            autoComplete="off"
            placeholder="e.g. spring, newsletter"
            value={rules.tags}
            onInput={(e) => {
              const tags = e.currentTarget.value;
              setRules((form) => ({ ...form, tags }));
            }}
            aria-describedby="tags-hint"
            {...invalid("tags")}
          />
          <span id="tags-hint" class="hint">
            Separated by commas, up to {MAX_TAGS}. The links list filters by a tag when you click it.
          </span>
          {fieldError("tags")}
        </label>
        <TrackingField
          value={tracking}
          editing={link !== undefined}
          onChange={setTracking}
          error={fieldError("conversion_tracking")}
          invalid={invalid("conversion_tracking")}
        />
        <RulesSection
          form={rules}
          change={(update, place) => {
            setRules((form) => ({ ...form, ...update }));
            setErrors((shown) => errorsAfterChange(shown, place));
          }}
          hasPassword={link?.has_password ?? false}
          open={rulesOpen}
          toggle={() => setRulesOpen(!rulesOpen)}
          error={fieldError}
          invalid={invalid}
        />
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
            {busy ? "Saving…" : link ? "Save changes" : "Create link"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface TrackingProps {
  value: Tracking;
  editing: boolean;
  onChange: (value: Tracking) => void;
  error: ComponentChildren;
  invalid: Record<string, unknown>;
}

function TrackingField({ value, editing, onChange, error, invalid }: TrackingProps) {
  // The account's default, read when the dialog opens, to say what "default" means now.
  const [fallback, setFallback] = useState<boolean | null>(null);
  useEffect(() => {
    if (editing) return;
    let live = true;
    api.settings().then(
      (settings) => live && setFallback(settings.conversion_tracking),
      () => {}, // the choice still works; its label just says less
    );
    return () => {
      live = false;
    };
  }, [editing]);
  return (
    <label class="field">
      <span class="label">Conversion tracking</span>
      <select
        name="conversion_tracking"
        value={value}
        onChange={(e) => onChange(e.currentTarget.value as Tracking)}
        aria-describedby="conversion_tracking-hint"
        {...invalid}
      >
        {!editing && (
          <option value="default">
            Account default{fallback === null ? "" : fallback ? " (on)" : " (off)"}
          </option>
        )}
        <option value="on">On: add the click id to the destination</option>
        <option value="off">Off</option>
      </select>
      <span id="conversion_tracking-hint" class="hint">
        When on, each visit reaches the destination with its click id, so your site can report a conversion for
        it. The account's default is in Settings.
      </span>
      {error}
    </label>
  );
}

interface DeleteProps {
  link: Link;
  onClose: () => void;
  onDeleted: () => void;
}

export function DeleteDialog({ link, onClose, onDeleted }: DeleteProps) {
  const remove = async () => {
    try {
      await api.deleteLink(link.id);
      notify("Link deleted.");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      notify("The link was already deleted.");
    }
    onDeleted();
  };
  return (
    <ConfirmDialog
      title="Delete this link?"
      confirmLabel="Delete link"
      busyLabel="Deleting…"
      onConfirm={remove}
      onClose={onClose}
    >
      <p>
        <strong dir="auto">{link.title || shownUrl(link.destination_url).host || link.code}</strong> (
        <code>{link.short_url}</code>) will stop redirecting at once.
      </p>
      <p class="warning">
        All of its analytics — {number(link.clicks)} {link.clicks === 1 ? "click" : "clicks"} and every
        breakdown — will be lost permanently. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
