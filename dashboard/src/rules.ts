// A link's rules as the dialog edits them (max clicks, expired URL, password, targets,
// variants, tags) and the request body they become. Pure functions, unit-tested in
// test/rules.test.ts. Values the form cannot read as numbers are sent as typed, so the
// server's own check names the problem next to its field.

import type { Link, Target } from "./api";
import { countryName, number } from "./format";

export const OPERATING_SYSTEMS: readonly [string, string][] = [
  ["ios", "iOS"],
  ["android", "Android"],
  ["windows", "Windows"],
  ["macos", "macOS"],
  ["linux", "Linux"],
];
export const DEVICES: readonly [string, string][] = [
  ["mobile", "Mobile"],
  ["desktop", "Desktop"],
  ["tablet", "Tablet"],
];
// ISO 3166-1 alpha-2, plus XK (Kosovo), which GeoIP databases use too.
export const COUNTRY_CODES = (
  "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV " +
  "BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET " +
  "FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM " +
  "IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD " +
  "ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE " +
  "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST " +
  "SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS " +
  "XK YE YT ZA ZM ZW"
).split(" ");

// The API's limits, so the form stops offering rows the server would refuse.
export const MAX_TARGETS = 20;
export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 10;
export const MAX_TAGS = 20;

export interface TargetRow {
  key: number; // a stable identity for the row while rows move
  os: string; // "" for any
  device: string;
  country: string;
  destination_url: string;
}

export interface VariantRow {
  key: number;
  destination_url: string;
  weight: string; // as typed
}

/** On a link that has a password: leave it, replace it, or remove it. */
export type PasswordChange = "keep" | "change" | "remove";

export interface RulesForm {
  maxClicks: string;
  expiredUrl: string;
  password: string; // never prefilled: the API does not give it back
  passwordChange: PasswordChange;
  targets: TargetRow[];
  variants: VariantRow[];
  tags: string; // comma-separated
}

let nextKey = 1;
function key(): number {
  return nextKey++;
}

export function emptyTarget(): TargetRow {
  return { key: key(), os: "", device: "", country: "", destination_url: "" };
}

export function emptyVariant(): VariantRow {
  return { key: key(), destination_url: "", weight: "1" };
}

/** The form for a link (or a new one). Fields the server does not send yet read as empty. */
export function rulesForm(link?: Link): RulesForm {
  return {
    maxClicks: link?.max_clicks != null ? String(link.max_clicks) : "",
    expiredUrl: link?.expired_url ?? "",
    password: "",
    passwordChange: "keep",
    targets: (link?.targets ?? []).map((t) => ({
      key: key(),
      os: t.os ?? "",
      device: t.device ?? "",
      country: t.country ?? "",
      destination_url: t.destination_url,
    })),
    variants: (link?.variants ?? []).map((v) => ({ key: key(), destination_url: v.destination_url, weight: String(v.weight) })),
    tags: (link?.tags ?? []).join(", "),
  };
}

/** Whether a link has any rule, so its dialog opens the Rules section. */
export function hasRules(link: Link | undefined): boolean {
  return Boolean(
    link &&
      (link.max_clicks != null ||
        link.expired_url ||
        link.has_password ||
        (link.targets?.length ?? 0) > 0 ||
        (link.variants?.length ?? 0) > 0),
  );
}

/** A whole number as a number; anything else as typed (trimmed). */
function whole(text: string): number | string {
  const trimmed = text.trim();
  return /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export function targetsBody(rows: TargetRow[]): Record<string, string>[] {
  return rows.map((row) => {
    const target: Record<string, string> = { destination_url: row.destination_url.trim() };
    if (row.os) target.os = row.os;
    if (row.device) target.device = row.device;
    if (row.country) target.country = row.country.trim().toUpperCase();
    return target;
  });
}

export function variantsBody(rows: VariantRow[]): { destination_url: string; weight: number | string }[] {
  return rows.map((row) => ({ destination_url: row.destination_url.trim(), weight: whole(row.weight) }));
}

/** "spring, sale ,,Spring" → ["spring", "sale", "Spring"]: trimmed, blanks and repeats dropped. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const tag = part.trim();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The body's rule fields. For a new link, only what was filled in; for an edit, only what
 * changed, with null (or []) where a rule was cleared, so what the API alone set is kept. */
export function rulesBody(form: RulesForm, link?: Link): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const maxClicks = form.maxClicks.trim() ? whole(form.maxClicks) : null;
  const expiredUrl = form.expiredUrl.trim() || null;
  const targets = targetsBody(form.targets);
  const variants = variantsBody(form.variants);
  const tags = parseTags(form.tags);
  if (!link) {
    if (maxClicks !== null) body.max_clicks = maxClicks;
    if (expiredUrl !== null) body.expired_url = expiredUrl;
    if (form.password) body.password = form.password;
    if (targets.length) body.targets = targets;
    if (variants.length) body.variants = variants;
    if (tags.length) body.tags = tags;
    return body;
  }
  if (maxClicks !== (link.max_clicks ?? null)) body.max_clicks = maxClicks;
  if (expiredUrl !== (link.expired_url ?? null)) body.expired_url = expiredUrl;
  if (link.has_password) {
    if (form.passwordChange === "remove") body.password = null;
    else if (form.passwordChange === "change") body.password = form.password;
  } else if (form.password) {
    body.password = form.password;
  }
  if (!same(targets, targetsBody(rulesForm(link).targets))) body.targets = targets;
  if (!same(variants, variantsBody(rulesForm(link).variants))) body.variants = variants;
  if (!same(tags, link.tags ?? [])) body.tags = tags;
  return body;
}

/** Each variant's share of the traffic, 0..1, from the weights as typed; a weight that is
 * not a positive whole number counts as 0 until it is one. */
export function variantShares(weights: string[]): number[] {
  const numbers = weights.map((w) => {
    const value = whole(w);
    return typeof value === "number" && value > 0 ? value : 0;
  });
  const sum = numbers.reduce((a, b) => a + b, 0);
  return numbers.map((n) => (sum ? n / sum : 0));
}

/** A target's conditions in words: "iOS · Desktop · Brazil". */
export function targetConditions(target: Pick<Target, "os" | "device" | "country">): string {
  const name = (choices: readonly [string, string][], code: string | null) =>
    choices.find(([value]) => value === code)?.[1] ?? code;
  return [name(OPERATING_SYSTEMS, target.os), name(DEVICES, target.device), target.country && countryName(target.country)]
    .filter(Boolean)
    .join(" · ");
}

/** Short words for a links row: "limit 100", "A/B", "targeted". The password has its lock. */
export function ruleMarkers(link: Pick<Link, "max_clicks" | "targets" | "variants">): string[] {
  const markers: string[] = [];
  if (link.max_clicks != null) markers.push(`limit ${number(link.max_clicks)}`);
  if ((link.variants?.length ?? 0) > 0) markers.push("A/B");
  if ((link.targets?.length ?? 0) > 0) markers.push("targeted");
  return markers;
}

/** Where an error's field is shown: one of the dialog's fields (tags[3] on the tags field),
 * a row's field or the row itself; null when the form has no such place. */
export function errorPlace(field: string | undefined, form: Pick<RulesForm, "targets" | "variants">): string | null {
  if (!field) return null;
  if (/^tags(\[\d+\])?$/.test(field)) return "tags";
  const row = /^(targets|variants)\[(\d+)\](?:\.(os|device|country|destination_url|weight))?$/.exec(field);
  if (row) {
    const rows = row[1] === "targets" ? form.targets : form.variants;
    return Number(row[2]) < rows.length ? field : row[1];
  }
  return field;
}

/** Whether an error's place is inside the Rules section (so the section opens to show it). */
export function inRules(place: string): boolean {
  return /^(max_clicks|expired_url|password|targets|variants)\b/.test(place);
}

/** The errors left once the form changed at ``place`` ("max_clicks", "targets[1]" for a
 * row, "targets" when rows came or went and their numbers moved): that place's and those
 * of everything in it go, so a fixed field stops saying what was wrong with it. */
export function errorsAfterChange(errors: Record<string, string>, place: string): Record<string, string> {
  const left: Record<string, string> = {};
  for (const [at, message] of Object.entries(errors)) {
    if (at !== place && !at.startsWith(`${place}[`) && !at.startsWith(`${place}.`)) left[at] = message;
  }
  return left;
}
