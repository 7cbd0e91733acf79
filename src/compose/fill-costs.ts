import type { TokenTable } from "./token-table.js";

/**
 * Fewest tokens that fill an exact span of a bar, for every span up to a bar's length.
 * The grammar uses these to refuse any token after which the tune could no longer be
 * finished (or not within its token budget), so a sampler can never paint itself into
 * a corner, whatever the model prefers.
 *
 * A note costs 1 token at the default length and 2 with a length token; a tuplet costs
 * its marker plus its notes at the tuplet's scale. Rests cost the same as notes.
 */
export interface FillCosts {
  /** fill[u]: fewest tokens filling u grid units outside a tuplet; Infinity if impossible. */
  readonly fill: Float64Array;
  /** insideTuplet[scale][k][u]: k more tuplet notes, then fill the rest of u units. */
  readonly insideTuplet: readonly (readonly Float64Array[])[];
  /** Like fill, but the first atom must be a plain note (what a tie needs next). */
  readonly fillFromPlainNote: Float64Array;
}

const cache = new WeakMap<TokenTable, Map<number, FillCosts>>();

/** Fill costs for bars up to `maxUnits`, computed once per vocabulary and bar length. */
export function fillCostsFor(table: TokenTable, maxUnits: number): FillCosts {
  const byLength = cache.get(table) ?? new Map<number, FillCosts>();
  cache.set(table, byLength);
  const costs = byLength.get(maxUnits) ?? computeFillCosts(table, maxUnits);
  byLength.set(maxUnits, costs);
  return costs;
}

function computeFillCosts(table: TokenTable, maxUnits: number): FillCosts {
  const cost = (length: number) => (length === table.defaultLength ? 1 : 2);
  const fill = new Float64Array(maxUnits + 1).fill(Number.POSITIVE_INFINITY);
  const insideTuplet = table.tuplets.map((t) =>
    Array.from({ length: t.r + 1 }, () => new Float64Array(maxUnits + 1).fill(Number.POSITIVE_INFINITY)),
  );
  const plain = table.lengthUnits[0] as readonly number[];
  // Spans only grow, so every entry depends on smaller spans already computed.
  for (let u = 0; u <= maxUnits; u++) {
    table.tuplets.forEach((t, i) => {
      const rows = insideTuplet[i] as Float64Array[];
      const units = table.lengthUnits[i + 1] as readonly number[];
      for (let k = 1; k <= t.r; k++) {
        let best = Number.POSITIVE_INFINITY;
        const below = rows[k - 1] as Float64Array;
        units.forEach((d, l) => {
          if (d <= u) best = Math.min(best, cost(l) + (below[u - d] as number));
        });
        (rows[k] as Float64Array)[u] = best;
      }
    });
    let best = u === 0 ? 0 : Number.POSITIVE_INFINITY;
    plain.forEach((d, l) => {
      if (d <= u) best = Math.min(best, cost(l) + (fill[u - d] as number));
    });
    table.tuplets.forEach((t, i) => {
      best = Math.min(best, 1 + (((insideTuplet[i] as Float64Array[])[t.r] as Float64Array)[u] as number));
    });
    fill[u] = best;
    for (const rows of insideTuplet) (rows[0] as Float64Array)[u] = best;
  }
  const fillFromPlainNote = new Float64Array(maxUnits + 1).fill(Number.POSITIVE_INFINITY);
  for (let u = 1; u <= maxUnits; u++) {
    plain.forEach((d, l) => {
      if (d <= u)
        fillFromPlainNote[u] = Math.min(fillFromPlainNote[u] as number, cost(l) + (fill[u - d] as number));
    });
  }
  return { fill, insideTuplet, fillFromPlainNote };
}
