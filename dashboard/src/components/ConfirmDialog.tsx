// A dialog that asks before something irreversible: Cancel (focused first) or the danger
// action. It owns the busy and error states, so every such question behaves the same.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Dialog } from "./Dialog";

interface Props {
  title: string;
  confirmLabel: string;
  busyLabel: string;
  // Does the work; a thrown error is shown in the dialog, which stays open.
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}

export function ConfirmDialog({ title, confirmLabel, busyLabel, onConfirm, onClose, children }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const confirm = async () => {
    setBusy(true);
    setError("");
    try {
      await onConfirm();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      {children}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" class="button button-danger" disabled={busy} onClick={confirm}>
          {busy ? busyLabel : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
