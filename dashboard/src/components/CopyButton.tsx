// Copies a text (a short URL, a new API key) to the clipboard, with a fallback for pages
// served over plain http on a LAN, where the async clipboard API does not exist.

import { useEffect, useState } from "preact/hooks";

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.readOnly = true;
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }
}

interface Props {
  text: string;
  label?: string;
  what?: string; // for screen readers: "Copy short URL"
  class?: string;
}

export function CopyButton({ text, label = "Copy", what, class: className = "button" }: Props) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      class={className}
      aria-label={what ? `${what}: ${text}` : undefined}
      data-copy={text}
      onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}
    >
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}</span>
    </button>
  );
}
