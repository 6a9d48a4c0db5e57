// A campaign's or a link's funnel: delivered → clicked → converted, in distinct contacts,
// for the range of the page's filters. The steps are bars with their counts and the rate
// between each two in words (never colour alone), beside the conversions, the revenue per
// currency and the median times; a campaign's also over time.

import { useMemo } from "preact/hooks";
import { ApiError, type Funnel } from "../api";
import { TimeChart, type Line } from "../charts/TimeSeries";
import { Empty, Failed } from "../components/States";
import { number } from "../format";
import { duration, funnelEmpty, funnelSteps, isoDuration, money, STEP_LABELS, type Step } from "../funnel";
import { Card } from "./figures";

interface Props {
  funnel: Funnel | ApiError;
  retry: () => void;
  compact?: boolean; // a link's: no chart over time
}

export function FunnelPanel({ funnel, retry, compact = false }: Props) {
  return (
    <section class={compact ? "panel funnel funnel-compact" : "panel funnel"} aria-labelledby="funnel-title">
      <div class="panel-head">
        <h2 class="panel-title" id="funnel-title">
          Funnel
        </h2>
        <span class="muted">Contacts delivered, clicked and converted · bots never count</span>
      </div>
      {funnel instanceof ApiError ? (
        <Failed error={funnel} retry={retry} what="the funnel" />
      ) : funnelEmpty(funnel) ? (
        <Empty title="No deliveries or conversions in this range.">
          <p>
            {funnel.clicked > 0 && `${number(funnel.clicked)} ${funnel.clicked === 1 ? "contact" : "contacts"} clicked. `}
            Report messages delivered and conversions with <code>POST /api/v1/events</code> to see the funnel.
          </p>
        </Empty>
      ) : (
        <FunnelFigures funnel={funnel} compact={compact} />
      )}
    </section>
  );
}

function FunnelFigures({ funnel, compact }: { funnel: Funnel; compact: boolean }) {
  const steps = funnelSteps(funnel);
  return (
    <>
      <div class="funnel-body">
        <FunnelSteps steps={steps} />
        <div class="funnel-cards">
          <Card label="Conversions" value={funnel.conversions} note="conversion events" />
          <Card label="Revenue" note="from conversions with a value">
            {funnel.revenue.length === 0 ? (
              "–"
            ) : (
              <span class="revenue">
                {funnel.revenue.map((sum) => (
                  <span key={sum.currency} data-currency={sum.currency}>
                    {money(sum.value, sum.currency)}
                  </span>
                ))}
              </span>
            )}
          </Card>
          <Card label="Median time to click" note="from delivery">
            <Duration seconds={funnel.median_time_to_click_s} />
          </Card>
          <Card label="Median time to convert" note="from click">
            <Duration seconds={funnel.median_time_to_convert_s} />
          </Card>
        </div>
      </div>
      {!compact && <FunnelOverTime funnel={funnel} />}
    </>
  );
}

/** The steps as bars, widest first, each with its count and the rate that led to it. */
function FunnelSteps({ steps }: { steps: Step[] }) {
  return (
    <ol class="funnel-steps" aria-label="Contacts at each step">
      {steps.map((step) => (
        <li key={step.key} class={`funnel-step funnel-${step.key}`} data-step={step.key}>
          {step.rate && (
            <p class="funnel-rate">
              <span aria-hidden="true">↓ </span>
              {step.rate.label} <strong class="funnel-rate-value">{step.rate.text}</strong>
            </p>
          )}
          <div class="funnel-row">
            <span class="funnel-label">{step.label}</span>
            <span class="funnel-value">{number(step.value)}</span>
          </div>
          <div class="funnel-track" aria-hidden="true">
            <span class="funnel-bar" style={{ width: `${100 * step.share}%` }} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function Duration({ seconds }: { seconds: number | null }) {
  return seconds === null ? <>–</> : <time dateTime={isoDuration(seconds)}>{duration(seconds)}</time>;
}

// Line styles tell the steps apart without their colours: solid, dashed, dotted.
const STYLES: Record<Step["key"], Omit<Line, "label" | "values">> = {
  delivered: { stroke: "#4f46e5", width: 2, fill: "rgba(79, 70, 229, 0.08)" },
  clicked: { stroke: "#0891b2", width: 2, dash: [8, 4] },
  converted: { stroke: "#15803d", width: 2.5, dash: [2, 3] },
};

function FunnelOverTime({ funnel }: { funnel: Funnel }) {
  const times = useMemo(() => funnel.timeseries.map((b) => b.t), [funnel.timeseries]);
  const lines = useMemo(
    () =>
      (["delivered", "clicked", "converted"] as const).map((key) => ({
        label: STEP_LABELS[key],
        values: funnel.timeseries.map((b) => b[key]),
        ...STYLES[key],
      })),
    [funnel.timeseries],
  );
  return (
    <div class="funnel-chart">
      <h3 class="funnel-subtitle">Contacts per {funnel.range.interval}</h3>
      <TimeChart times={times} lines={lines} interval={funnel.range.interval} label="Funnel over time" />
    </div>
  );
}
