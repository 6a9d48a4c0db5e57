// Short-lived messages ("Link deleted") announced to screen readers as well.

import { useEffect, useState } from "preact/hooks";

interface Notice {
  id: number;
  text: string;
  kind: "ok" | "error";
}

let notices: Notice[] = [];
let nextId = 1;
const listeners = new Set<(list: Notice[]) => void>();

function publish(list: Notice[]): void {
  notices = list;
  listeners.forEach((listener) => listener(list));
}

export function notify(text: string, kind: Notice["kind"] = "ok"): void {
  const notice = { id: nextId++, text, kind };
  publish([...notices, notice].slice(-3));
  setTimeout(() => publish(notices.filter((n) => n.id !== notice.id)), 5000);
}

export function Notices() {
  const [list, setList] = useState(notices);
  useEffect(() => {
    listeners.add(setList);
    return () => listeners.delete(setList);
  }, []);
  return (
    <div class="notices" role="status" aria-live="polite">
      {list.map((notice) => (
        <p key={notice.id} class={`notice notice-${notice.kind}`}>
          {notice.text}
        </p>
      ))}
    </div>
  );
}
