// A ranked list with proportional bars: top countries, browsers, platforms, systems.

import { number, percent } from "../format";

export interface Row {
  label: string;
  value: number;
  detail?: string;
}

export function BarList({ rows, empty, limit = 8 }: { rows: Row[]; empty: string; limit?: number }) {
  if (rows.length === 0) return <p class="muted empty-list">{empty}</p>;
  const whole = rows.reduce((sum, row) => sum + row.value, 0);
  const most = Math.max(1, ...rows.map((row) => row.value));
  return (
    <ol class="bars">
      {rows.slice(0, limit).map((row) => (
        <li key={row.label}>
          <span class="bar" style={{ width: `${(100 * row.value) / most}%` }} aria-hidden="true" />
          <span class="bar-label" dir="auto">
            {row.label}
          </span>
          <span class="bar-value" title={row.detail}>
            {number(row.value)} <span class="muted">{percent(row.value, whole)}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}
