// The account's settings: whether clicks keep location and device details, and API keys
// (create one and see it once, revoke one).

import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, type ApiKey } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { CopyButton } from "../components/CopyButton";
import { Dialog } from "../components/Dialog";
import { notify } from "../components/Notices";
import { Failed, Loading } from "../components/States";
import { dateTime } from "../format";
import type { Session } from "../session";

export function SettingsPage({ session }: { session: Session }) {
  return (
    <section class="settings" aria-labelledby="settings-title">
      <div class="page-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <MetadataSetting />
      <ApiKeys session={session} />
    </section>
  );
}

function MetadataSetting() {
  const [value, setValue] = useState<boolean | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const load = useCallback(() => {
    setError(null);
    api.settings().then((s) => setValue(s.collect_metadata), setError);
  }, []);
  useEffect(load, [load]);

  const change = async (next: boolean) => {
    setSaving(true);
    setValue(next); // at once; put back if the server refuses
    try {
      const saved = await api.updateSettings({ collect_metadata: next });
      setValue(saved.collect_metadata);
      notify(saved.collect_metadata ? "Click details will be collected." : "Click details will no longer be collected.");
    } catch (e) {
      setValue(!next);
      notify((e as Error).message, "error");
    } finally {
      setSaving(false);
    }
  };

  return (
    <div class="panel">
      <h2 class="panel-title">Click details</h2>
      {error ? (
        <Failed error={error} retry={load} what="the settings" />
      ) : value === null ? (
        <Loading what="the settings" />
      ) : (
        <>
          <label class="switch switch-large">
            <input
              type="checkbox"
              role="switch"
              name="collect_metadata"
              checked={value}
              disabled={saving}
              onChange={(e) => change(e.currentTarget.checked)}
            />
            <span>Collect location and device details</span>
          </label>
          <p class="muted setting-help">
            When on, each click keeps its country, city, device type, browser and operating system. When off,
            every click is still recorded and counted (total, unique and bot clicks), but no location or device
            details are kept for clicks from then on; clicks already recorded keep theirs.
          </p>
        </>
      )}
    </div>
  );
}

function ApiKeys({ session }: { session: Session }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const load = useCallback(() => {
    setError(null);
    api.keys().then((page) => setKeys(page.items), setError);
  }, []);
  useEffect(load, [load]);

  const create = async (event: Event) => {
    event.preventDefault();
    setNameError("");
    try {
      const key = await api.createKey(name.trim());
      setName("");
      setCreated(key.key);
      load();
    } catch (e) {
      setNameError((e as Error).message);
    }
  };

  return (
    <div class="panel">
      <h2 class="panel-title">API keys</h2>
      <p class="muted">
        Keys let programs create links and read analytics through the API, and let people sign in here. A key is
        shown once, when it is made.
      </p>
      <form class="inline-form" onSubmit={create} noValidate>
        <label class="field">
          <span class="label">New key name</span>
          <input
            name="key_name"
            maxLength={100}
            placeholder="e.g. CRM integration"
            value={name}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "key-name-error" : undefined}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          {nameError && (
            <span id="key-name-error" class="field-error" role="alert">
              {nameError}
            </span>
          )}
        </label>
        <button type="submit" class="button button-primary">
          Create key
        </button>
      </form>
      {error ? (
        <Failed error={error} retry={load} what="the API keys" />
      ) : keys === null ? (
        <Loading what="the API keys" />
      ) : (
        <table class="table keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td data-label="Name" dir="auto">
                  {key.name}
                  {session.key_ids.includes(key.id) && <span class="badge badge-info badge-after">this session</span>}
                </td>
                <td data-label="Key">
                  <code>{key.prefix}…</code>
                </td>
                <td data-label="Created">{dateTime(key.created_at)}</td>
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
                  {!key.revoked_at && (
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
        <Dialog title="Your new API key" onClose={() => setCreated(null)}>
          <p>Copy it now and keep it somewhere safe: it will not be shown again.</p>
          <div class="secret">
            <input readOnly value={created} aria-label="New API key" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created} what="Copy API key" />
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
        Programs using <strong dir="auto">{apiKey.name}</strong> (<code>{apiKey.prefix}…</code>) will be refused
        at once. This cannot be undone.
      </p>
      {ownSession && <p class="warning">You signed in with this key: revoking it signs you out.</p>}
    </ConfirmDialog>
  );
}
