// A row's action menu: a button that opens a short list of actions. Placed with fixed
// coordinates so no scrolling container clips it; closes on Escape, outside click, scroll.

import { useEffect, useRef, useState } from "preact/hooks";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  change?: boolean; // changes something: hidden in a read-only session
}

export function Menu({ label, items }: { label: string; items: MenuItem[] }) {
  const [position, setPosition] = useState<{ top: number; right: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!position) return;
    list.current?.querySelector("button")?.focus();
    const close = (event: Event) => {
      if (event.type === "pointerdown" && list.current?.contains(event.target as Node)) return;
      if (event.type === "pointerdown" && button.current?.contains(event.target as Node)) return;
      setPosition(null);
    };
    const key = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setPosition(null);
        button.current?.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const items = [...(list.current?.querySelectorAll("button") ?? [])];
        const at = items.indexOf(document.activeElement as HTMLButtonElement);
        const step = event.key === "ArrowDown" ? 1 : -1;
        items[(at + step + items.length) % items.length]?.focus();
        event.preventDefault();
      }
    };
    document.addEventListener("pointerdown", close);
    document.addEventListener("keydown", key);
    window.addEventListener("scroll", close, true);
    window.addEventListener("resize", close);
    return () => {
      document.removeEventListener("pointerdown", close);
      document.removeEventListener("keydown", key);
      window.removeEventListener("scroll", close, true);
      window.removeEventListener("resize", close);
    };
  }, [position]);

  const toggle = () => {
    if (position) return setPosition(null);
    const rect = button.current!.getBoundingClientRect();
    setPosition({ top: rect.bottom + 4, right: Math.max(8, window.innerWidth - rect.right) });
  };

  return (
    <div class="menu">
      <button
        ref={button}
        type="button"
        class="icon-button"
        aria-haspopup="menu"
        aria-expanded={position !== null}
        aria-label={label}
        title={label}
        onClick={toggle}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {position && (
        <ul ref={list} class="menu-list" role="menu" style={{ top: `${position.top}px`, right: `${position.right}px` }}>
          {items.map((item) => (
            <li role="none" key={item.label} data-change={item.change || undefined}>
              <button
                type="button"
                role="menuitem"
                class={item.danger ? "danger-text" : undefined}
                onClick={() => {
                  setPosition(null);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
