/**
 * The training loss curve as an SVG line chart (train and validation, nats/token per
 * epoch), rendered to PNG by png.ts for the model card and the admin's retrain report.
 */
export interface LossPoint {
  readonly epoch: number;
  readonly train: number;
  readonly validation: number;
}

const W = 720;
const H = 420;
const M = { left: 64, right: 24, top: 40, bottom: 52 };

export function lossCurveSvg(points: readonly LossPoint[], title = "Training loss"): string {
  const xs = points.map((p) => p.epoch);
  const ys = points.flatMap((p) => [p.train, p.validation]).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yMin = Math.floor(Math.min(...ys, 1) * 10) / 10;
  const yMax = Math.ceil(Math.max(...ys, yMin + 0.1) * 10) / 10;
  const x = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  const line = (pick: (p: LossPoint) => number) =>
    points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.epoch).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(" ");
  const yTicks = Array.from({ length: 6 }, (_, i) => yMin + ((yMax - yMin) * i) / 5);
  const xTicks = Array.from(new Set(Array.from({ length: 6 }, (_, i) => Math.round((xMax * i) / 5))));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="13">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>
${yTicks.map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`).join("\n")}
${xTicks.map((t) => `<text x="${x(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${t}</text>`).join("\n")}
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">epoch</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">loss (nats/token)</text>
<path d="${line((p) => p.train)}" fill="none" stroke="#1f77b4" stroke-width="2.5"/>
<path d="${line((p) => p.validation)}" fill="none" stroke="#d62728" stroke-width="2.5"/>
<text x="${W - M.right - 150}" y="${M.top + 8}" fill="#1f77b4">— training</text>
<text x="${W - M.right - 150}" y="${M.top + 26}" fill="#d62728">— validation</text>
</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}
