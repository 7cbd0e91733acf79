/**
 * The loss curve of a retraining as an SVG: training loss per step (a run has no epochs,
 * so render/loss-curve.ts's per-epoch chart does not fit), with the base corpus's
 * validation loss before and after as dashed levels.
 */
export interface StepLoss {
  readonly step: number;
  /** Mean loss (nats/token) of the steps since the previous point. */
  readonly loss: number;
}

const W = 720;
const H = 420;
const M = { left: 64, right: 24, top: 60, bottom: 52 };

export function retrainCurveSvg(
  points: readonly StepLoss[],
  validation: { readonly before: number; readonly after: number },
  title: string,
): string {
  const finite = points.filter((p) => Number.isFinite(p.loss));
  const levels = [validation.before, validation.after].filter(Number.isFinite);
  const ys = [...finite.map((p) => p.loss), ...levels];
  const yMin = Math.floor(Math.min(...ys, 1) * 10) / 10;
  const yMax = Math.max(Math.ceil(Math.max(...ys, yMin + 0.1) * 10) / 10, yMin + 0.1);
  const xMax = Math.max(1, ...finite.map((p) => p.step));
  const x = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const path = finite
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`)
    .join(" ");
  // The two levels are usually close: one label left, one right, so they do not overlap.
  const level = (v: number, colour: string, label: string, right: boolean) =>
    Number.isFinite(v)
      ? `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${colour}" stroke-width="2" stroke-dasharray="8 5"/>` +
        `<text x="${right ? W - M.right - 4 : M.left + 4}" y="${(y(v) - 6).toFixed(1)}" text-anchor="${right ? "end" : "start"}" fill="${colour}">${label} ${v.toFixed(3)}</text>`
      : "";
  const yTicks = Array.from({ length: 6 }, (_, i) => yMin + ((yMax - yMin) * i) / 5);
  const xTicks = [...new Set(Array.from({ length: 6 }, (_, i) => Math.round((xMax * i) / 5)))];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="13">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>
${yTicks.map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`).join("\n")}
${xTicks.map((t) => `<text x="${x(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${t}</text>`).join("\n")}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">step</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">loss (nats/token)</text>
${path ? `<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2.5"/>` : ""}
${level(validation.before, "#7f7f7f", "base validation before", false)}
${level(validation.after, "#d62728", "base validation after", true)}
<text x="${W / 2}" y="46" text-anchor="middle" fill="#1f77b4">— training loss (submissions and replay), per step</text>
</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
