// The link dialog's "Rules" section: a click limit and where a used-up link sends people, a
// password, targets (the first whose conditions all match wins) and A/B variants. The
// form's state and its request body live in ../rules; this draws them.

import type { ComponentChildren } from "preact";
import { countryName, ratio } from "../format";
import {
  COUNTRY_CODES,
  DEVICES,
  emptyTarget,
  emptyVariant,
  MAX_TARGETS,
  MAX_VARIANTS,
  MIN_VARIANTS,
  OPERATING_SYSTEMS,
  variantShares,
  type RulesForm,
  type TargetRow,
  type VariantRow,
} from "../rules";

/** How the dialog shows an error at a place, and marks the control that has it. */
export interface ErrorView {
  error: (place: string) => ComponentChildren;
  invalid: (place: string) => Record<string, unknown>;
}

interface Props extends ErrorView {
  form: RulesForm;
  change: (update: Partial<RulesForm>, place: string) => void; // place: where an error is now stale
  hasPassword: boolean; // the saved link has one
  open: boolean;
  toggle: () => void;
}

// Sorted by name in the viewer's language, once: 250 names.
let countries: [string, string][] | null = null;
function countryChoices(): [string, string][] {
  countries ??= COUNTRY_CODES.map((code): [string, string] => [code, countryName(code)]).sort((a, b) =>
    a[1].localeCompare(b[1]),
  );
  return countries;
}

export function RulesSection({ form, change, hasPassword, open, toggle, error, invalid }: Props) {
  const summary = rulesSummary(form, hasPassword);
  return (
    <section class="rules" aria-labelledby="rules-toggle">
      <div class="rules-head">
        <button
          type="button"
          id="rules-toggle"
          class="disclosure"
          aria-expanded={open}
          aria-controls="rules-body"
          onClick={toggle}
        >
          <span class="disclosure-mark" aria-hidden="true" />
          Rules
        </button>
        {!open && summary && <span class="muted rules-summary">{summary}</span>}
      </div>
      <div id="rules-body" class="rules-body" hidden={!open}>
        <div class="field-pair">
          <label class="field">
            <span class="label">Max clicks</span>
            <input
              name="max_clicks"
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              placeholder="No limit"
              value={form.maxClicks}
              onInput={(e) => change({ maxClicks: e.currentTarget.value }, "max_clicks")}
              aria-describedby="max_clicks-hint"
              {...invalid("max_clicks")}
            />
            <span id="max_clicks-hint" class="hint">
              Human clicks; bots never use a link up.
            </span>
            {error("max_clicks")}
          </label>
          <label class="field">
            <span class="label">Expired URL</span>
            <input
              name="expired_url"
              type="url"
              inputMode="url"
              autoComplete="off"
              spellcheck={false}
              placeholder="https://example.com/sold-out"
              value={form.expiredUrl}
              onInput={(e) => change({ expiredUrl: e.currentTarget.value }, "expired_url")}
              aria-describedby="expired_url-hint"
              {...invalid("expired_url")}
            />
            <span id="expired_url-hint" class="hint">
              Where a used-up or expired link sends visitors. Blank: an “expired” page.
            </span>
            {error("expired_url")}
          </label>
        </div>
        <PasswordField form={form} change={change} hasPassword={hasPassword} error={error} invalid={invalid} />
        <Targets rows={form.targets} change={(targets, place) => change({ targets }, place)} error={error} invalid={invalid} />
        <Variants rows={form.variants} change={(variants, place) => change({ variants }, place)} error={error} invalid={invalid} />
      </div>
    </section>
  );
}

/** What a closed section holds, in a few words. */
function rulesSummary(form: RulesForm, hasPassword: boolean): string {
  const parts: string[] = [];
  if (form.maxClicks.trim()) parts.push(`limit ${form.maxClicks.trim()}`);
  if (hasPassword ? form.passwordChange !== "remove" : form.password) parts.push("password");
  if (form.targets.length) parts.push(form.targets.length === 1 ? "1 target" : `${form.targets.length} targets`);
  if (form.variants.length) parts.push(`${form.variants.length} variants`);
  return parts.join(" · ");
}

function PasswordField({ form, change, hasPassword, error, invalid }: Omit<Props, "open" | "toggle">) {
  const input = (label: string, hint: string) => (
    <label class="field">
      <span class="label">{label}</span>
      <input
        name="password"
        type="password"
        autoComplete="new-password"
        maxLength={128}
        value={form.password}
        onInput={(e) => change({ password: e.currentTarget.value }, "password")}
        aria-describedby="password-hint"
        {...invalid("password")}
      />
      <span id="password-hint" class="hint">
        {hint}
      </span>
      {error("password")}
    </label>
  );
  if (!hasPassword) return input("Password", "Visitors type it before they are sent on. Blank for none.");
  if (form.passwordChange === "change") {
    return (
      <div class="password-change">
        {input("New password", "Replaces the current one when you save.")}
        <button type="button" class="button button-small" onClick={() => change({ passwordChange: "keep", password: "" }, "password")}>
          Keep the current password
        </button>
      </div>
    );
  }
  const removing = form.passwordChange === "remove";
  return (
    <div class="field">
      <span class="label">Password</span>
      <div class="password-set">
        <span role="status">{removing ? "The password is removed when you save." : "Password set"}</span>
        {removing ? (
          <button type="button" class="button button-small" onClick={() => change({ passwordChange: "keep" }, "password")}>
            Keep it
          </button>
        ) : (
          <>
            <button type="button" class="button button-small" onClick={() => change({ passwordChange: "change" }, "password")}>
              Change
            </button>
            <button type="button" class="button button-small button-danger-quiet" onClick={() => change({ passwordChange: "remove" }, "password")}>
              Remove
            </button>
          </>
        )}
      </div>
      {error("password")}
    </div>
  );
}

interface RowsProps<T> extends ErrorView {
  rows: T[];
  change: (rows: T[], place: string) => void;
}

function replace<T>(rows: T[], index: number, row: T): T[] {
  return rows.map((r, i) => (i === index ? row : r));
}

function Targets({ rows, change, error, invalid }: RowsProps<TargetRow>) {
  const move = (index: number, by: number) => {
    const next = [...rows];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    change(next, "targets");
  };
  return (
    <fieldset class="fieldset rule-list">
      <legend class="label">Targets</legend>
      <p id="targets-hint" class="hint">
        Send visitors by operating system, device or country. The first target whose conditions all match wins;
        everyone else goes to the destination URL.
      </p>
      {error("targets")}
      {rows.map((row, index) => {
        const place = `targets[${index}]`;
        const set = (update: Partial<TargetRow>) => change(replace(rows, index, { ...row, ...update }), place);
        const n = index + 1;
        return (
          <fieldset key={row.key} class="rule-row" {...invalid(place)}>
            <legend>Target {n}</legend>
            <div class="rule-conditions">
              <Choice label="Operating system" place={`${place}.os`} value={row.os} any="Any OS" choices={OPERATING_SYSTEMS} onChange={(os) => set({ os })} error={error} invalid={invalid} />
              <Choice label="Device" place={`${place}.device`} value={row.device} any="Any device" choices={DEVICES} onChange={(device) => set({ device })} error={error} invalid={invalid} />
              <Choice label="Country" place={`${place}.country`} value={row.country} any="Any country" choices={countryChoices()} onChange={(country) => set({ country })} error={error} invalid={invalid} />
            </div>
            {error(place)}
            <UrlField place={`${place}.destination_url`} value={row.destination_url} onInput={(destination_url) => set({ destination_url })} error={error} invalid={invalid} />
            <div class="rule-actions">
              <button type="button" class="button button-small" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move target ${n} up`}>
                ↑ Up
              </button>
              <button type="button" class="button button-small" disabled={index === rows.length - 1} onClick={() => move(index, 1)} aria-label={`Move target ${n} down`}>
                ↓ Down
              </button>
              <button type="button" class="button button-small button-danger-quiet" onClick={() => change(rows.filter((_, i) => i !== index), "targets")} aria-label={`Remove target ${n}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      {rows.length < MAX_TARGETS && (
        <button type="button" class="button button-small rule-add" onClick={() => change([...rows, emptyTarget()], "targets")}>
          + Add target
        </button>
      )}
    </fieldset>
  );
}

function Variants({ rows, change, error, invalid }: RowsProps<VariantRow>) {
  const shares = variantShares(rows.map((row) => row.weight));
  return (
    <fieldset class="fieldset rule-list">
      <legend class="label">A/B variants</legend>
      <p class="hint">
        {MIN_VARIANTS} to {MAX_VARIANTS} destinations shared out by weight. A visitor keeps the variant it got.
      </p>
      {error("variants")}
      {rows.map((row, index) => {
        const place = `variants[${index}]`;
        const set = (update: Partial<VariantRow>) => change(replace(rows, index, { ...row, ...update }), place);
        const n = index + 1;
        return (
          <fieldset key={row.key} class="rule-row">
            <legend>Variant {n}</legend>
            <UrlField place={`${place}.destination_url`} value={row.destination_url} onInput={(destination_url) => set({ destination_url })} error={error} invalid={invalid} />
            <div class="variant-weight">
              <label class="field">
                <span class="label">Weight</span>
                <input
                  name={`${place}.weight`}
                  type="number"
                  min={1}
                  max={1_000_000}
                  step={1}
                  inputMode="numeric"
                  value={row.weight}
                  onInput={(e) => set({ weight: e.currentTarget.value })}
                  {...invalid(`${place}.weight`)}
                />
              </label>
              <output class="variant-share" aria-label={`Variant ${n} share`}>
                {ratio(shares[index])}
              </output>
              <button type="button" class="button button-small button-danger-quiet" onClick={() => change(rows.filter((_, i) => i !== index), "variants")} aria-label={`Remove variant ${n}`}>
                Remove
              </button>
            </div>
            {error(`${place}.weight`)}
          </fieldset>
        );
      })}
      {rows.length < MAX_VARIANTS && (
        <button
          type="button"
          class="button button-small rule-add"
          // A test needs two sides: the first click starts with both.
          onClick={() => change(rows.length ? [...rows, emptyVariant()] : [emptyVariant(), emptyVariant()], "variants")}
        >
          {rows.length ? "+ Add variant" : "+ Add A/B variants"}
        </button>
      )}
    </fieldset>
  );
}

interface ChoiceProps extends ErrorView {
  label: string;
  place: string;
  value: string;
  any: string;
  choices: readonly [string, string][];
  onChange: (value: string) => void;
}

function Choice({ label, place, value, any, choices, onChange, error, invalid }: ChoiceProps) {
  return (
    <label class="field">
      <span class="label">{label}</span>
      <select name={place} value={value} onChange={(e) => onChange(e.currentTarget.value)} {...invalid(place)}>
        <option value="">{any}</option>
        {choices.map(([code, name]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
      {error(place)}
    </label>
  );
}

interface UrlProps extends ErrorView {
  place: string;
  value: string;
  onInput: (value: string) => void;
}

function UrlField({ place, value, onInput, error, invalid }: UrlProps) {
  return (
    <label class="field">
      <span class="label">Destination</span>
      <input
        name={place}
        type="url"
        inputMode="url"
        autoComplete="off"
        spellcheck={false}
        placeholder="https://example.com/page"
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        {...invalid(place)}
      />
      {error(place)}
    </label>
  );
}
