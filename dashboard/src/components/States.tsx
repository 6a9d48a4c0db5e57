// Loading, empty and error states, each saying what is going on and what to do.

import type { ComponentChildren } from "preact";
import type { ApiError } from "../api";

export function Loading({ what }: { what: string }) {
  return (
    <div class="state" aria-busy="true">
      <span class="spinner" aria-hidden="true" />
      <p>Loading {what}…</p>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <p class="state-title">{title}</p>
      {children}
    </div>
  );
}

export function Failed({ error, retry, what }: { error: ApiError | Error; retry?: () => void; what: string }) {
  return (
    <div class="state failed" role="alert">
      <p class="state-title">Could not load {what}.</p>
      <p>{error.message}</p>
      {retry && (
        <button type="button" class="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
