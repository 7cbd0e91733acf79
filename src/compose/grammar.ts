import { type BarType, isSectionBoundary } from "../music/tune.js";
import { type FillCosts, fillCostsFor } from "./fill-costs.js";
import type { TokenClass, TokenTable } from "./token-table.js";

/**
 * The grammar of a well-formed tune, as a state machine over model tokens. The sampler
 * asks it which tokens may come next and only samples among those, so every tune it
 * writes has:
 * - every bar exactly the meter's length (a pickup and its complement allowed: a tune
 *   that opens with a pickup opens every part with one of the same length, and each part's
 *   last bar is short by it, so that a repeat, played, joins the two into one full bar),
 * - exactly `bars` bars, the last closed by a final bar line (`|]` or `:|`),
 * - tuplets complete within a bar, ties onto the same pitch, first and second endings
 *   in order,
 * - and at most `budget` tokens: a token is refused when the fewest tokens that could
 *   still finish the tune after it would overrun the budget.
 */
export interface GrammarOptions {
  /** Length of a bar in grid units (see TokenTable.unitsPerWhole). */
  readonly barUnits: number;
  readonly bars: number;
  /** A fresh tune may open with a short bar; a continuation may not. */
  readonly allowPickup: boolean;
  /**
   * Bars (1-based) that close a part before the last: after an opening pickup, each is
   * short by it and the next part opens with a pickup of the same length.
   */
  readonly partEnds?: readonly number[];
}

type Ending = "none" | "first" | "expectSecond" | "second";

export interface DecodeState {
  /** Units written in the current bar. */
  readonly pos: number;
  /** Bars closed so far (a pickup does not count). */
  readonly barsDone: number;
  /** Length of the opening pickup bar, 0 if none. */
  readonly pickup: number;
  /** Writing the pickup that opens a part after the first (`pickup` units, closed by `|`). */
  readonly inPickup: boolean;
  readonly anyBarLine: boolean;
  readonly anyNote: boolean;
  readonly atBarStart: boolean;
  /** A note or rest whose length token may still follow. */
  readonly pending: { readonly scale: number; readonly pitch: number | undefined } | undefined;
  readonly tuplet: { readonly scale: number; readonly left: number } | undefined;
  /** Pitch of the note just completed, which a tie may follow. */
  readonly tieable: number | undefined;
  /** Pitch the next note must have (after a tie). */
  readonly tieTo: number | undefined;
  readonly ending: Ending;
  /** The final bar line is written; only the end token may follow. */
  readonly closed: boolean;
  readonly finished: boolean;
}

export class GrammarError extends Error {}

const FINAL_BARS: readonly BarType[] = [":|", "|]"];
const REPEAT_ENDS: readonly BarType[] = [":|", "::"];

export class TuneGrammar {
  private readonly costs: FillCosts;
  private readonly partEnds: ReadonlySet<number>;
  /** Per pickup length: the fewest tokens for bars `from`..bars, indexed by `from`. */
  private readonly suffixes = new Map<number, Float64Array>();

  constructor(
    readonly table: TokenTable,
    readonly options: GrammarOptions,
  ) {
    if (!Number.isInteger(options.barUnits) || options.barUnits <= 0)
      throw new GrammarError(`bar length ${options.barUnits} is not a whole number of grid units`);
    if (!Number.isInteger(options.bars) || options.bars < 1)
      throw new GrammarError("a tune needs at least one bar");
    this.costs = fillCostsFor(table, options.barUnits);
    // A part's short last bar needs a section bar line; a vocabulary without one has no
    // part pickups (its parts close with full bars).
    const closesParts = table.classes.some(
      (c) => c.kind === "bar" && c.bar !== "|]" && isSectionBoundary(c.bar),
    );
    this.partEnds = new Set(
      closesParts ? (options.partEnds ?? []).filter((b) => b >= 1 && b < options.bars) : [],
    );
    if (!Number.isFinite(this.costs.fill[options.barUnits] as number))
      throw new GrammarError("the vocabulary cannot fill a bar of this meter");
  }

  /** The state at the start of a fresh tune (after `<s> M:… K:…`). */
  start(): DecodeState {
    return {
      pos: 0,
      barsDone: 0,
      pickup: 0,
      inPickup: false,
      anyBarLine: false,
      anyNote: false,
      atBarStart: true,
      pending: undefined,
      tuplet: undefined,
      tieable: undefined,
      tieTo: undefined,
      ending: "none",
      closed: false,
      finished: false,
    };
  }

  /**
   * The state for continuing a tune `pos` units into a bar, optionally tied onto `tieTo`;
   * after a part whose parts open with a pickup of `pickup` units, with the next one's pickup.
   */
  continueAt(pos: number, tieTo?: number, pickup = 0): DecodeState {
    if (!Number.isInteger(pos) || pos < 0 || pos >= this.options.barUnits)
      throw new GrammarError(`cannot continue ${pos} units into a bar of ${this.options.barUnits}`);
    if (!Number.isInteger(pickup) || pickup < 0 || pickup >= this.options.barUnits || (pickup > 0 && pos > 0))
      throw new GrammarError(`cannot open a part with a pickup of ${pickup} units here`);
    const state = { ...this.start(), pos, anyBarLine: true, anyNote: true, atBarStart: pos === 0, tieTo };
    return pickup > 0 ? { ...state, pickup, inPickup: true } : state;
  }

  /** The state after token `id`, or undefined when the grammar refuses it. */
  next(state: DecodeState, id: number): DecodeState | undefined {
    const c = this.table.classes[id] as TokenClass | undefined;
    if (!c || state.finished) return undefined;
    if (c.kind === "length") {
      return state.pending ? this.commit(state, c.index) : undefined;
    }
    if (c.kind === "end") return state.closed ? { ...state, finished: true } : undefined;
    if (state.closed) return undefined;
    const s = state.pending ? this.commit(state, this.table.defaultLength) : state;
    if (!s) return undefined;
    if (s.ending === "expectSecond" && !(c.kind === "ending" && c.number === 2)) return undefined;
    switch (c.kind) {
      case "note":
      case "rest":
        return this.startNote(s, c.kind === "note" ? c.pitch : undefined);
      case "tie":
        return s.tieable !== undefined ? { ...s, tieable: undefined, tieTo: s.tieable } : undefined;
      case "tuplet":
        return s.tuplet || s.tieTo !== undefined
          ? undefined
          : {
              ...s,
              tuplet: { scale: c.index, left: (this.table.tuplets[c.index - 1] as { r: number }).r },
              tieable: undefined,
              atBarStart: false,
            };
      case "bar":
        return this.barLine(s, c.bar);
      case "ending":
        return this.ending(s, c.number);
      default:
        return undefined;
    }
  }

  /**
   * Fewest tokens that still finish the tune from `state`, end token included;
   * Infinity when it cannot be finished.
   */
  remaining(state: DecodeState): number {
    if (state.finished) return 0;
    if (state.closed) return 1;
    if (state.pending) {
      let best = Number.POSITIVE_INFINITY;
      const row = this.table.lengthUnits[state.pending.scale] as readonly number[];
      for (let l = 0; l < row.length; l++) {
        const s = this.commit(state, l);
        if (s) best = Math.min(best, (l === this.table.defaultLength ? 0 : 1) + this.remaining(s));
      }
      return best;
    }
    const { bars } = this.options;
    const { fill, fillFromPlainNote } = this.costs;
    // End token, and the second-ending marker still to come.
    const fixed = 1 + (state.ending === "first" || state.ending === "expectSecond" ? 1 : 0);
    const room = this.barLimit(state) - state.pos;
    if (room < 0) return Number.POSITIVE_INFINITY;
    const tied = state.tieTo !== undefined;
    // A part's pickup does not count as a bar: the bar after it is still barsDone + 1.
    const next = state.inPickup ? state.barsDone + 1 : state.barsDone + 2;
    const current = state.barsDone + 1;
    if (tied && room === 0 && !state.tuplet) {
      // The tie crosses a plain bar line, which must not close a part or the tune.
      const crossable =
        state.inPickup ||
        (current < bars &&
          !(state.pickup > 0 && this.partEnds.has(current)) &&
          (state.ending !== "first" || current <= bars - 2));
      return crossable ? fixed + 1 + this.barsFrom(next, state.pickup, true) : Number.POSITIVE_INFINITY;
    }
    const thisBar = state.tuplet
      ? (
          (this.costs.insideTuplet[state.tuplet.scale - 1] as Float64Array[])[
            state.tuplet.left
          ] as Float64Array
        )[room]
      : (tied ? fillFromPlainNote : fill)[room];
    const partPickup =
      !state.inPickup && state.pickup > 0 && this.partEnds.has(current)
        ? (fill[state.pickup] as number) + 1
        : 0;
    let best = fixed + (thisBar as number) + 1 + partPickup + this.barsFrom(next, state.pickup, false);
    if (this.canClosePickup(state)) {
      // Close the pickup now: then all `bars` bars follow, each part's last one short by it.
      best = Math.min(best, fixed + 1 + this.barsFrom(1, state.pos, false));
    }
    return best;
  }

  /**
   * Fewest tokens for bars `from`..bars (1-based), each with its bar line, and the pickups
   * opening the parts among them; the first bar may have to open with a tied note.
   */
  private barsFrom(from: number, pickup: number, tied: boolean): number {
    const { bars } = this.options;
    if (from > bars) return 0;
    let suffix = this.suffixes.get(pickup);
    if (!suffix) {
      suffix = new Float64Array(bars + 2);
      for (let b = bars; b >= 1; b--) suffix[b] = this.barCost(b, pickup, false) + (suffix[b + 1] as number);
      this.suffixes.set(pickup, suffix);
    }
    const rest = suffix[from] as number;
    return tied ? rest - this.barCost(from, pickup, false) + this.barCost(from, pickup, true) : rest;
  }

  /** Bar `b` (1-based) with its bar line, and the pickup of the part it may close. */
  private barCost(b: number, pickup: number, tied: boolean): number {
    const { fill, fillFromPlainNote } = this.costs;
    const units = this.limitOf(b, pickup);
    const bar = ((tied ? fillFromPlainNote : fill)[units] as number) + 1;
    return pickup > 0 && this.partEnds.has(b) ? bar + (fill[pickup] as number) + 1 : bar;
  }

  /** Length of bar `b` (1-based): short by the pickup where a part or the tune ends. */
  private limitOf(b: number, pickup: number): number {
    const { barUnits, bars } = this.options;
    return pickup > 0 && (b === bars || this.partEnds.has(b)) ? barUnits - pickup : barUnits;
  }

  /**
   * Tokens allowed after `state` with at most `budget` tokens left (1 = allowed).
   * With `greedy`, only the tokens that finish the tune fastest: the way out when
   * generation runs out of time.
   */
  allowed(state: DecodeState, budget: number, greedy = false): Uint8Array {
    const { classes } = this.table;
    const mask = new Uint8Array(classes.length);
    const costs = new Float64Array(classes.length).fill(Number.POSITIVE_INFINITY);
    // Pitches differ only for ties: without one pending, every note costs the same.
    let anyNoteCost: number | undefined;
    let best = Number.POSITIVE_INFINITY;
    classes.forEach((c, id) => {
      if (c.kind === "never") return;
      let cost: number;
      if (c.kind === "note" && state.tieTo === undefined) {
        anyNoteCost ??= this.costAfter(state, id);
        cost = anyNoteCost;
      } else {
        cost = this.costAfter(state, id);
      }
      costs[id] = cost;
      if (cost < best) best = cost;
    });
    for (let id = 0; id < mask.length; id++) {
      const cost = costs[id] as number;
      if (cost <= budget && (!greedy || cost === best)) mask[id] = 1;
    }
    return mask;
  }

  /** 1 + the fewest tokens to finish after `id`, Infinity if refused. */
  private costAfter(state: DecodeState, id: number): number {
    const s = this.next(state, id);
    return s ? 1 + this.remaining(s) : Number.POSITIVE_INFINITY;
  }

  /** The current bar is full: only a bar line (or a length/tie of the last note) may follow. */
  barFull(state: DecodeState): boolean {
    return state.pos >= this.barLimit(state);
  }

  private barLimit(state: DecodeState): number {
    return state.inPickup ? state.pickup : this.limitOf(state.barsDone + 1, state.pickup);
  }

  private canClosePickup(state: DecodeState): boolean {
    return (
      this.options.allowPickup &&
      !state.anyBarLine &&
      state.barsDone === 0 &&
      state.pos > 0 &&
      state.pos < this.options.barUnits &&
      !state.tuplet &&
      state.tieTo === undefined
    );
  }

  private commit(state: DecodeState, length: number): DecodeState | undefined {
    const pending = state.pending;
    if (!pending) return state;
    const units = (this.table.lengthUnits[pending.scale] as readonly number[])[length];
    if (units === undefined) return undefined;
    const pos = state.pos + units;
    if (pos > this.barLimit(state)) return undefined;
    const tuplet = state.tuplet && state.tuplet.left === 0 ? undefined : state.tuplet;
    return { ...state, pos, pending: undefined, tuplet, tieable: pending.pitch };
  }

  private startNote(state: DecodeState, pitch: number | undefined): DecodeState | undefined {
    if (state.tieTo !== undefined && pitch !== state.tieTo) return undefined;
    const tuplet = state.tuplet ? { ...state.tuplet, left: state.tuplet.left - 1 } : undefined;
    return {
      ...state,
      pending: { scale: tuplet ? tuplet.scale : 0, pitch },
      tuplet,
      tieable: undefined,
      tieTo: undefined,
      anyNote: true,
      atBarStart: false,
    };
  }

  private barLine(state: DecodeState, bar: BarType): DecodeState | undefined {
    if (state.tuplet) return undefined;
    // A tie may cross a plain bar line only, never a repeat or the end.
    if (state.tieTo !== undefined && bar !== "|") return undefined;
    const base = { ...state, tieable: undefined, atBarStart: true, anyBarLine: true };
    if (!state.anyNote) return bar === "|:" && !state.anyBarLine ? base : undefined;
    if (state.atBarStart) return undefined;
    if (state.inPickup) {
      // Only a plain bar line: a repeat sign here would leave the pickup out of the repeat.
      return state.pos === state.pickup && bar === "|" ? { ...base, pos: 0, inPickup: false } : undefined;
    }
    if (state.pos < this.barLimit(state)) {
      if (!this.canClosePickup(state)) return undefined;
      // With parts that open with it, a repeat must come back to the pickup: plain bar line.
      const closers: readonly BarType[] = this.partEnds.size > 0 ? ["|"] : ["|", "|:", "||"];
      return closers.includes(bar) ? { ...base, pos: 0, pickup: state.pos } : undefined;
    }
    const barsDone = state.barsDone + 1;
    const final = barsDone === this.options.bars;
    if (final) {
      return FINAL_BARS.includes(bar) && state.ending !== "first" && state.tieTo === undefined
        ? { ...base, pos: 0, barsDone, closed: true }
        : undefined;
    }
    if (bar === "|]") return undefined;
    const inPickup = state.pickup > 0 && this.partEnds.has(barsDone);
    // A short bar closing a part must stand at a section boundary, as a reader expects.
    if (inPickup && !isSectionBoundary(bar)) return undefined;
    let ending: Ending = state.ending;
    if (state.ending === "first") {
      if (REPEAT_ENDS.includes(bar)) ending = "expectSecond";
      else if (bar === "|:" || barsDone > this.options.bars - 2) return undefined;
    } else if (state.ending === "second") {
      ending = "none";
    }
    return { ...base, pos: 0, barsDone, ending, inPickup };
  }

  private ending(state: DecodeState, n: number): DecodeState | undefined {
    if (!state.atBarStart || state.tuplet || !state.anyBarLine || !state.anyNote || state.tieTo !== undefined)
      return undefined;
    if (n === 1 && state.ending === "none" && state.barsDone + 2 <= this.options.bars)
      return { ...state, ending: "first", atBarStart: false };
    if (n === 2 && state.ending === "expectSecond") return { ...state, ending: "second", atBarStart: false };
    return undefined;
  }
}
