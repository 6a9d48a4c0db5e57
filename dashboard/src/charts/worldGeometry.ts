// The world's countries (Natural Earth, 1:110m, from the world-atlas package) projected
// once into SVG paths. Loaded on demand: only the analytics screen needs it.

import { geoNaturalEarth1, geoPath } from "d3-geo";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import world from "world-atlas/countries-110m.json";

export const WIDTH = 960;
export const HEIGHT = 470;

const topology = world as unknown as Topology<{ countries: GeometryCollection }>;
const projection = geoNaturalEarth1().fitSize([WIDTH, HEIGHT], { type: "Sphere" });
const path = geoPath(projection);

export const sphere = path({ type: "Sphere" }) ?? "";
export const land = path(feature(topology, topology.objects.countries)) ?? "";
export const borders = path(mesh(topology, topology.objects.countries, (a, b) => a !== b)) ?? "";

export function project(lon: number, lat: number): [number, number] | null {
  return projection([lon, lat]);
}
