// Where clicks came from: a dot per location, its area proportional to the clicks there.

import { useEffect, useState } from "preact/hooks";
import type { Analytics } from "../api";
import { number } from "../format";

type Geometry = typeof import("./worldGeometry");

export function WorldMap({ locations }: { locations: Analytics["locations"] }) {
  const [geometry, setGeometry] = useState<Geometry | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import("./worldGeometry").then(setGeometry, () => setFailed(true));
  }, []);

  if (failed) return <p class="muted">The map could not be loaded. Reload the page to try again.</p>;
  if (!geometry) return <div class="map map-loading" aria-busy="true" />;

  const most = Math.max(1, ...locations.map((l) => l.clicks));
  const dots = locations
    .map((l) => ({ ...l, at: geometry.project(l.lon, l.lat) }))
    .filter((l) => l.at !== null)
    .sort((a, b) => b.clicks - a.clicks); // big dots first, so small ones stay visible on top
  const total = locations.reduce((sum, l) => sum + l.clicks, 0);
  return (
    <svg
      class="map"
      viewBox={`0 0 ${geometry.WIDTH} ${geometry.HEIGHT}`}
      role="img"
      aria-label={`World map of clicks: ${number(total)} clicks from ${number(locations.length)} places`}
    >
      <path class="map-sphere" d={geometry.sphere} />
      <path class="map-land" d={geometry.land} />
      <path class="map-borders" d={geometry.borders} />
      {dots.map((dot) => (
        <circle
          key={`${dot.lat},${dot.lon}`}
          class="map-dot"
          cx={dot.at![0]}
          cy={dot.at![1]}
          r={3 + 14 * Math.sqrt(dot.clicks / most)}
        >
          <title>{`${number(dot.clicks)} ${dot.clicks === 1 ? "click" : "clicks"}`}</title>
        </circle>
      ))}
    </svg>
  );
}
