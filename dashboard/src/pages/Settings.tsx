// The account's settings: whether clicks keep location and device details, how
// conversions are tracked (the default of new links, the click id's parameter, the
// attribution window), and keys: secret API keys, full or read-only, and publishable keys
// (create one and see it once, revoke one; each shows when it was last used). Signed in
// with a read-only key, the page shows all of it and offers no change.

import type { JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, type ApiKey, type KeyKind, type KeyScope, type TenantSettings } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { CopyButton } from "../components/CopyButton";
import { Dialog } from "../components/Dialog";
import { notify } from "../components/Notices";
import { Failed, Loading } from "../components/States";
import { dateTime } from "../format";
import { windowDays } from "../funnel";
import type { Session } from "../session";

export function SettingsPage({ session }: { session: Session }) {
  const readOnly = session.scope === "read_only";
  // One read of the settings for both of their panels; each saves its own fields.
  const [settings, setSettings] = useState<TenantSettings | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.settings().then(setSettings, setError);
  }, []);
  useEffect(load, [load]);

  const panels = (render: (settings: TenantSettings) => JSX.Element) =>
    error ? (
      <Failed error={error} retry={load} what="the settings" />
    ) : settings === null ? (
      <Loading what="the settings" />
    ) : (
      render(settings)
    );

  return (
    <section class="settings" aria-labelledby="settings-title">
      <div class="page-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <div class="panel">
        <h2 class="panel-title">Click details</h2>
        {panels((s) => (
          <MetadataSetting value={s.collect_metadata} onSaved={setSettings} readOnly={readOnly} />
        ))}
      </div>
      <div class="panel">
        <h2 class="panel-title">Conversion tracking</h2>
        {panels((s) => (
          <ConversionSettings settings={s} onSaved={setSettings} readOnly={readOnly} />
        ))}
      </div>
      <Keys session={session} />
    </section>
  );
}

interface SettingProps {
  onSaved: (s: TenantSettings) => void;
  readOnly: boolean; // a read-only key's session: shown, not changeable
}

function MetadataSetting({ value, onSaved, readOnly }: SettingProps & { value: boolean }) {
  const [shown, setShown] = useState(value);
  const [saving, setSaving] = useState(false);

  const change = async (next: boolean) => {
    setSaving(true);
    setShown(next); // at once; put back if the server refuses
    try {
      const saved = await api.updateSettings({ collect_metadata: next });
      setShown(saved.collect_metadata);
      onSaved(saved);
      notify(saved.collect_metadata ? "Click details will be collected." : "Click details will no longer be collected.");
    } catch (e) {
      setShown(!next);
      notify((e as Error).message, "error");
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <label class="switch switch-large">
        <input
          type="checkbox"
          role="switch"
          name="collect_metadata"
          checked={shown}
          disabled={saving || readOnly}
          onChange={(e) => change(e.currentTarget.checked)}
        />
        <span>Collect location and device details</span>
      </label>
      <p class="muted setting-help">
        When on, each click keeps its country, city, device type, browser and operating system. When off, every
        click is still recorded and counted (total, unique and bot clicks), but no location or device details are
        kept for clicks from then on; clicks already recorded keep theirs.
      </p>
    </>
  );
}

type ConversionField = "click_id_param" | "attribution_window_days" | "conversion_tracking";
const CONVERSION_FIELDS: ConversionField[] = ["conversion_tracking", "click_id_param", "attribution_window_days"];

function ConversionSettings({ settings, onSaved, readOnly }: SettingProps & { settings: TenantSettings }) {
  const [tracking, setTracking] = useState(settings.conversion_tracking);
  const [param, setParam] = useState(settings.click_id_param);
  const [days, setDays] = useState(String(settings.attribution_window_days));
  const [errors, setErrors] = useState<Partial<Record<ConversionField | "form", string>>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const saved = await api.updateSettings({
        conversion_tracking: tracking,
        click_id_param: param.trim(),
        attribution_window_days: windowDays(days),
      });
      setTracking(saved.conversion_tracking);
      setParam(saved.click_id_param);
      setDays(String(saved.attribution_window_days));
      onSaved(saved);
      notify("Conversion tracking settings saved.");
    } catch (e) {
      const error = e as ApiError;
      const field = CONVERSION_FIELDS.find((name) => name === error.field);
      setErrors(field ? { [field]: error.message } : { form: error.message });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (name: ConversionField) =>
    errors[name] && (
      <span id={`${name}-error`} class="field-error" role="alert">
        {errors[name]}
      </span>
    );
  const described = (name: ConversionField) =>
    errors[name]
      ? { "aria-invalid": true, "aria-describedby": `${name}-hint ${name}-error` }
      : { "aria-describedby": `${name}-hint` };

  return (
    <form class="form settings-form" onSubmit={submit} noValidate>
      {/* A disabled fieldset disables every field in it at once. */}
      <fieldset class="plain-fieldset" disabled={readOnly}>
        <div class="field">
          <label class="switch">
            <input
              type="checkbox"
              role="switch"
              name="conversion_tracking"
              checked={tracking}
              onChange={(e) => setTracking(e.currentTarget.checked)}
              {...described("conversion_tracking")}
            />
            <span>Track conversions on new links</span>
          </label>
          <span id="conversion_tracking-hint" class="hint">
            The default of links made from now on (each link can say otherwise). A tracked link adds the click's id
            to its destination, so your site can send it back with a conversion.
          </span>
          {fieldError("conversion_tracking")}
        </div>
        <label class="field">
          <span class="label">Click id parameter</span>
          <input
            name="click_id_param"
            maxLength={64}
            autoComplete="off"
            spellcheck={false}
            value={param}
            onInput={(e) => setParam(e.currentTarget.value)}
            {...described("click_id_param")}
          />
          <span id="click_id_param-hint" class="hint">
            The name of the query parameter that carries the click id, e.g. <code>?{param.trim() || "sl_click"}=…</code>.
            Letters, digits, <code>_</code>, <code>.</code> and <code>-</code>.
          </span>
          {fieldError("click_id_param")}
        </label>
        <label class="field">
          <span class="label">Attribution window (days)</span>
          <input
            name="attribution_window_days"
            inputMode="numeric"
            autoComplete="off"
            class="input-short"
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
            {...described("attribution_window_days")}
          />
          <span id="attribution_window_days-hint" class="hint">
            A conversion sent without a click id counts for the contact's last click in its campaign up to this many
            days before it (1 to 365).
          </span>
          {fieldError("attribution_window_days")}
        </label>
        {errors.form && (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        )}
        {!readOnly && (
          <div class="form-actions">
            <button type="submit" class="button button-primary" disabled={busy}>
              {busy ? "Saving…" : "Save conversion settings"}
            </button>
          </div>
        )}
      </fieldset>
    </form>
  );
}

const KINDS: Record<KeyKind, { title: string; help: string; placeholder: string; what: string; label: string }> = {
  secret: {
    title: "API keys",
    help:
      "Keys let programs create links and read analytics through the API, and let people sign in here. A" +
      " read-only key can read everything but change nothing. A key is shown once, when it is made.",
    placeholder: "e.g. CRM integration",
    what: "API key",
    label: "New key name",
  },
  publishable: {
    title: "Publishable keys",
    help:
      "A publishable key (slp_…) can only record conversions, with POST /api/v1/track/conversion from your" +
      " site's pages: it is safe to put in a web page. It is shown once, when it is made.",
    placeholder: "e.g. Shop checkout page",
    what: "publishable key",
    label: "New publishable key name",
  },
};

/** Both kinds of keys, from one list. */
function Keys({ session }: { session: Session }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.keys().then((page) => setKeys(page.items), setError);
  }, []);
  useEffect(load, [load]);
  return (
    <>
      {(["secret", "publishable"] as const).map((kind) => (
        <KeysPanel
          key={kind}
          kind={kind}
          // A key from before key kinds were told is a secret one.
          keys={keys && keys.filter((key) => (key.kind ?? "secret") === kind)}
          error={error}
          load={load}
          session={session}
        />
      ))}
    </>
  );
}

interface PanelProps {
  kind: KeyKind;
  keys: ApiKey[] | null;
  error: ApiError | null;
  load: () => void;
  session: Session;
}

const SCOPES: Record<KeyScope, string> = { full: "Full access", read_only: "Read-only" };

/** What a key may do, as the table says it. */
function access(key: ApiKey): string {
  if (key.kind === "publishable") return "Conversions only";
  return SCOPES[key.scope ?? "full"];
}

function KeysPanel({ kind, keys, error, load, session }: PanelProps) {
  const text = KINDS[kind];
  const readOnly = session.scope === "read_only";
  const [name, setName] = useState("");
  const [scope, setScope] = useState<KeyScope>("full");
  const [nameError, setNameError] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const id = `${kind}-keys`;

  const create = async (event: Event) => {
    event.preventDefault();
    setNameError("");
    try {
      const key = await api.createKey(name.trim(), kind, scope);
      setName("");
      setScope("full");
      setCreated(key.key);
      load();
    } catch (e) {
      setNameError((e as Error).message);
    }
  };

  return (
    <div class="panel" data-keys={kind} aria-labelledby={`${id}-title`} role="region">
      <h2 class="panel-title" id={`${id}-title`}>
        {text.title}
      </h2>
      <p class="muted">{text.help}</p>
      {!readOnly && (
        <form class="inline-form" onSubmit={create} noValidate>
          <label class="field">
            <span class="label">{text.label}</span>
            <input
              name={kind === "secret" ? "key_name" : "publishable_key_name"}
              maxLength={100}
              placeholder={text.placeholder}
              value={name}
              aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? `${id}-name-error` : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            {nameError && (
              <span id={`${id}-name-error`} class="field-error" role="alert">
                {nameError}
              </span>
            )}
          </label>
          {kind === "secret" && (
            <label class="field field-narrow">
              <span class="label">Access</span>
              <select name="key_scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as KeyScope)}>
                {(["full", "read_only"] as const).map((value) => (
                  <option key={value} value={value}>
                    {SCOPES[value]}
                  </option>
                ))}
              </select>
              </label>
          )}
          <button type="submit" class="button button-primary">
            {kind === "secret" ? "Create key" : "Create publishable key"}
          </button>
        </form>
      )}
      {error ? (
        <Failed error={error} retry={load} what="the keys" />
      ) : keys === null ? (
        <Loading what="the keys" />
      ) : keys.length === 0 ? (
        <p class="muted empty-list">No {text.what}s yet.</p>
      ) : (
        <table class="table keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Access</th>
              <th scope="col">Created</th>
              <th scope="col" title="To the minute">
                Last used
              </th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-key-id={key.id}>
                <td data-label="Name" dir="auto">
                  {key.name}
                  {session.key_ids.includes(key.id) && <span class="badge badge-info badge-after">this session</span>}
                </td>
                <td data-label="Key">
                  <code>{key.prefix}…</code>
                </td>
                <td data-label="Access" data-key-scope={key.kind === "publishable" ? undefined : (key.scope ?? "full")}>
                  {access(key)}
                </td>
                <td data-label="Created">{dateTime(key.created_at)}</td>
                <td data-label="Last used">
                  {key.last_used_at ? dateTime(key.last_used_at) : <span class="muted">Never</span>}
                </td>
                <td data-label="Status">
                  {key.revoked_at ? (
                    <span class="badge badge-muted" title={dateTime(key.revoked_at)}>
                      Revoked
                    </span>
                  ) : (
                    <span class="badge badge-ok">Active</span>
                  )}
                </td>
                <td class="cell-actions">
                  {!key.revoked_at && !readOnly && (
                    <button type="button" class="button button-small button-danger-quiet" onClick={() => setRevoking(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {created && (
        <Dialog title={`Your new ${text.what}`} onClose={() => setCreated(null)}>
          <p>Copy it now and keep it somewhere safe: it will not be shown again.</p>
          {kind === "publishable" && (
            <p class="muted">
              Send it with each conversion from your pages, as <code>Authorization: Bearer …</code> or as the body's{" "}
              <code>key</code>. It cannot read or change anything.
            </p>
          )}
          <div class="secret">
            <input
              readOnly
              value={created}
              aria-label={`New ${text.what}`}
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton text={created} what={`Copy ${text.what}`} />
          </div>
          <div class="dialog-actions">
            <button type="button" class="button button-primary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {revoking && (
        <RevokeDialog
          apiKey={revoking}
          ownSession={session.key_ids.includes(revoking.id)}
          onClose={() => setRevoking(null)}
          onRevoked={() => {
            setRevoking(null);
            load();
          }}
        />
      )}
    </div>
  );
}

interface RevokeProps {
  apiKey: ApiKey;
  ownSession: boolean;
  onClose: () => void;
  onRevoked: () => void;
}

function RevokeDialog({ apiKey, ownSession, onClose, onRevoked }: RevokeProps) {
  const publishable = apiKey.kind === "publishable";
  const revoke = async () => {
    await api.revokeKey(apiKey.id);
    notify(`Key “${apiKey.name}” revoked.`);
    if (ownSession) location.reload(); // this session stood on that key: it has ended
    else onRevoked();
  };
  return (
    <ConfirmDialog
      title="Revoke this key?"
      confirmLabel="Revoke key"
      busyLabel="Revoking…"
      onConfirm={revoke}
      onClose={onClose}
    >
      <p>
        {publishable ? "Pages sending conversions with " : "Programs using "}
        <strong dir="auto">{apiKey.name}</strong> (<code>{apiKey.prefix}…</code>) will be refused at once. This
        cannot be undone.
      </p>
      {ownSession && <p class="warning">You signed in with this key: revoking it signs you out.</p>}
    </ConfirmDialog>
  );
}
