import { lineChartSvg } from "../render/loss-curve.js";

/**
 * The loss curve of a retraining as an SVG: training loss per step (a run has no epochs),
 * with the base corpus's validation loss before and after as dashed levels.
 */
export interface StepLoss {
  readonly step: number;
  /** Mean loss (nats/token) of the steps since the previous point. */
  readonly loss: number;
}

export function retrainCurveSvg(
  points: readonly StepLoss[],
  validation: { readonly before: number; readonly after: number },
  title: string,
): string {
  return lineChartSvg({
    title,
    xLabel: "step",
    lines: [
      {
        label: "training loss (submissions and replay), per step",
        colour: "#1f77b4",
        points: points.map((p) => [p.step, p.loss]),
      },
    ],
    // The two levels are usually close: one label left, one right, so they do not overlap.
    levels: [
      { value: validation.before, colour: "#7f7f7f", label: "base validation before" },
      { value: validation.after, colour: "#d62728", label: "base validation after", labelAtRight: true },
    ],
  });
}
