// The foot of a list read a page at a time: how many rows are shown, a button while the
// server has more, and why the last try failed (the rows already shown stay).

import { ApiError } from "../api";
import { number } from "../format";

export type MoreState = "idle" | "busy" | ApiError;

interface Props {
  /** How many rows are shown and their noun; left out, the pager shows only its button. */
  shown?: { count: number; one: string; many: string };
  hasMore: boolean;
  more: MoreState;
  onMore: () => void;
  label?: string;
}

export function Pager({ shown, hasMore, more, onMore, label = "Load more" }: Props) {
  return (
    <>
      {(shown || hasMore) && (
        <div class="pager">
          {shown && (
            <span class="muted" aria-live="polite">
              {number(shown.count)} {shown.count === 1 ? shown.one : shown.many}
              {hasMore ? " so far" : ""}
            </span>
          )}
          {hasMore && (
            <button type="button" class="button" disabled={more === "busy"} onClick={onMore}>
              {more === "busy" ? "Loading…" : label}
            </button>
          )}
        </div>
      )}
      {more instanceof ApiError && (
        <p class="form-error pager-error" role="alert">
          {more.message}
        </p>
      )}
    </>
  );
}
