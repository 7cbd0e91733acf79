/**
 * Loss curves as SVG line charts, rendered to PNG by png.ts: the pretraining curve (train
 * and validation per epoch) for the model card, and through `lineChartSvg` the retraining
 * curve (src/retrain/curve.ts) for the admin's report.
 */
export interface LossPoint {
  readonly epoch: number;
  readonly train: number;
  readonly validation: number;
  /** Next-token accuracy, when the trainer measured it. */
  readonly trainAccuracy?: number;
  readonly validationAccuracy?: number;
}

/** Train and validation loss per epoch; the legend gives the last epoch's perplexity and accuracy. */
export function lossCurveSvg(points: readonly LossPoint[], title = "Training loss"): string {
  const last = points.at(-1);
  const summary = (loss: number | undefined, accuracy: number | undefined) =>
    loss === undefined
      ? ""
      : ` (perplexity ${Math.exp(loss).toFixed(2)}${accuracy === undefined ? "" : `, accuracy ${(100 * accuracy).toFixed(1)}%`})`;
  return lineChartSvg({
    title,
    xLabel: "epoch",
    lines: [
      {
        label: `training${summary(last?.train, last?.trainAccuracy)}`,
        colour: "#1f77b4",
        points: points.map((p) => [p.epoch, p.train]),
      },
      {
        label: `validation${summary(last?.validation, last?.validationAccuracy)}`,
        colour: "#d62728",
        points: points.map((p) => [p.epoch, p.validation]),
      },
    ],
  });
}

export interface ChartLine {
  readonly label: string;
  readonly colour: string;
  /** [x, y]; points with a non-finite y are left out. */
  readonly points: readonly (readonly [number, number])[];
}

/** A horizontal dashed line at a value, labelled at the left or right end. */
export interface ChartLevel {
  readonly value: number;
  readonly colour: string;
  readonly label: string;
  readonly labelAtRight?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly lines: readonly ChartLine[];
  readonly levels?: readonly ChartLevel[];
}

const W = 720;
const H = 420;
const M = { left: 64, right: 24, top: 40, bottom: 52 };

/** Loss (nats/token, from 0.1 below the lowest point) against `xLabel`, with a legend. */
export function lineChartSvg(chart: LineChart): string {
  const lines = chart.lines.map((l) => ({ ...l, points: l.points.filter(([, v]) => Number.isFinite(v)) }));
  const levels = (chart.levels ?? []).filter((l) => Number.isFinite(l.value));
  const ys = [...lines.flatMap((l) => l.points.map(([, v]) => v)), ...levels.map((l) => l.value)];
  const yMin = Math.floor(Math.min(...ys, 1) * 10) / 10;
  const yMax = Math.max(Math.ceil(Math.max(...ys, yMin + 0.1) * 10) / 10, yMin + 0.1);
  const xMax = Math.max(1, ...lines.flatMap((l) => l.points.map(([t]) => t)));
  const x = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const path = (l: ChartLine) =>
    l.points.length === 0
      ? ""
      : `<path d="${l.points.map(([t, v], i) => `${i === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}" fill="none" stroke="${l.colour}" stroke-width="2.5"/>`;
  const level = (l: ChartLevel) =>
    `<line x1="${M.left}" x2="${W - M.right}" y1="${y(l.value).toFixed(1)}" y2="${y(l.value).toFixed(1)}" stroke="${l.colour}" stroke-width="2" stroke-dasharray="8 5"/>` +
    `<text x="${l.labelAtRight ? W - M.right - 4 : M.left + 4}" y="${(y(l.value) - 6).toFixed(1)}" text-anchor="${l.labelAtRight ? "end" : "start"}" fill="${l.colour}">${escapeXml(l.label)} ${l.value.toFixed(3)}</text>`;
  const legend = lines.map(
    (l, i) =>
      `<text x="${W - M.right}" y="${M.top + 8 + 18 * i}" text-anchor="end" fill="${l.colour}">— ${escapeXml(l.label)}</text>`,
  );
  const yTicks = Array.from({ length: 6 }, (_, i) => yMin + ((yMax - yMin) * i) / 5);
  const xTicks = [...new Set(Array.from({ length: 6 }, (_, i) => Math.round((xMax * i) / 5)))];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="13">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>
${yTicks.map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`).join("\n")}
${xTicks.map((t) => `<text x="${x(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${t}</text>`).join("\n")}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">loss (nats/token)</text>
${lines.map(path).join("\n")}
${levels.map(level).join("\n")}
${legend.join("\n")}
</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}
