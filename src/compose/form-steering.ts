import type { FormPlan } from "./form-plan.js";
import type { DecodeState, TuneGrammar } from "./grammar.js";
import type { Steering } from "./sampler.js";
import type { TokenTable } from "./token-table.js";

/**
 * Keeps each candidate to its form plan while it is sampled. Every bar closes with the
 * planned bar line (repeat signs where a part repeats, no endings); a bar the plan marks as
 * a return is played from the candidate's own earlier bar, token by token through the
 * model, so the model scores the return and carries on from it. When the grammar refuses a
 * returning token (a tie into the bar, a part's last bar short by the pickup, the budget) the
 * rest of that bar is sampled freely: a plan never leads to a dead end.
 */
export class FormSteering implements Steering {
  private readonly bars: number[][][];
  private readonly current: number[][];
  private readonly queue: number[][];
  private readonly barIds: number[];
  private readonly tieId: number | undefined;
  private readonly offset: number;

  constructor(
    /** One plan per candidate: best of N then also chooses among forms. */
    private readonly plans: readonly FormPlan[],
    private readonly grammar: TuneGrammar,
    private readonly table: TokenTable,
    /** Bars already written (a seed's, token ids per bar): the plan's first bars. */
    earlier: readonly (readonly number[])[] = [],
  ) {
    this.offset = earlier.length;
    this.bars = plans.map(() => earlier.map((bar) => [...bar]));
    this.current = plans.map(() => []);
    this.queue = plans.map(() => []);
    this.barIds = [];
    table.classes.forEach((c, id) => {
      if (c.kind === "bar") this.barIds.push(id);
    });
    const tie = table.classes.findIndex((c) => c.kind === "tie");
    this.tieId = tie >= 0 ? tie : undefined;
  }

  narrow(b: number, state: DecodeState, mask: Uint8Array): Uint8Array {
    const narrowed = Uint8Array.from(mask);
    this.table.classes.forEach((c, id) => {
      if (c.kind === "ending") narrowed[id] = 0;
    });
    const queue = this.queue[b] as number[];
    const head = queue[0];
    if (head !== undefined) {
      if (narrowed[head]) return oneHot(mask.length, head);
      queue.length = 0;
    }
    const plan = this.plans[b] as FormPlan;
    const planned = plan.closing[this.offset + state.barsDone];
    // A tie may only cross a plain bar line (none at the end of a part), and never into a
    // bar that returns to an earlier one: the return would break at its first note.
    const nextBar = this.offset + state.barsDone + (state.inPickup ? 0 : 1);
    const tieBarred = (!state.inPickup && planned !== "|") || (plan.copies[nextBar] ?? -1) >= 0;
    if (tieBarred && this.tieId !== undefined && narrowed[this.tieId]) {
      const tied = this.grammar.next(state, this.tieId);
      if (tied && this.grammar.barFull(tied)) narrowed[this.tieId] = 0;
    }
    for (const id of this.barIds) {
      if (!narrowed[id]) continue;
      const after = this.grammar.next(state, id);
      const closesBar = after !== undefined && after.barsDone > state.barsDone;
      const bar = (this.table.classes[id] as { bar: string }).bar;
      // A bar line that closes a pickup may be plain or open a repeat.
      const wanted = closesBar ? bar === planned : bar === "|" || bar === "|:";
      if (!wanted) narrowed[id] = 0;
    }
    return narrowed.some((x) => x === 1) ? narrowed : mask;
  }

  taken(b: number, id: number, before: DecodeState, after: DecodeState): void {
    const current = this.current[b] as number[];
    const queue = this.queue[b] as number[];
    if (this.table.classes[id]?.kind !== "bar") {
      current.push(id);
      if (queue[0] === id) queue.shift();
      else queue.length = 0;
      return;
    }
    const bars = this.bars[b] as number[][];
    if (after.barsDone > before.barsDone) bars.push([...current]);
    current.length = 0;
    queue.length = 0;
    // A part's pickup is the model's own: the planned return starts with the bar after it.
    if (after.closed || after.inPickup) return;
    const source = (this.plans[b] as FormPlan).copies[this.offset + after.barsDone] ?? -1;
    const sourceBar = source >= 0 ? bars[source] : undefined;
    if (sourceBar) queue.push(...sourceBar);
  }
}

function oneHot(size: number, id: number): Uint8Array {
  const mask = new Uint8Array(size);
  mask[id] = 1;
  return mask;
}
