import { meterLength, type Tune } from "./tune.js";
import { type TuneType, tuneTypeOf } from "./tune-type.js";

/**
 * The tune type of a corpus tune that has no R: field, from what its collection says
 * elsewhere: a type id in a Z: line (`Z: id:dc-reel-12`, the MIT corpus), or the
 * numbering of O'Neill's Music of Ireland, which runs in sections of one type. A type is
 * only taken when the tune's meter fits it, so a stray tune keeps no type rather than a wrong one.
 */
export function inferTuneType(
  tune: Tune,
  file: string,
  source: string,
  x: string | undefined,
): TuneType | undefined {
  if (tune.rhythm) return tune.rhythm;
  const id = /^Z:\s*id:dc-([a-z]+)-\d+/m.exec(source)?.[1];
  const byId = id ? tuneTypeOf(id) : undefined;
  if (byId) return fitsMeter(byId, tune) ? byId : undefined;
  if (/oneill/i.test(file) && x !== undefined && /^\d+$/.test(x.trim())) {
    const byNumber = oneillsSection(Number(x));
    return byNumber && fitsMeter(byNumber, tune) ? byNumber : undefined;
  }
  return undefined;
}

/** O'Neill's Music of Ireland (1903): sections by number, as its R: fields show them. */
function oneillsSection(n: number): TuneType | undefined {
  if (n >= 1 && n <= 650) return "air";
  if (n >= 701 && n <= 1115) return "jig";
  if (n >= 1116 && n <= 1180) return "slip jig";
  if (n >= 1181 && n <= 1560) return "reel";
  if (n >= 1561 && n <= 1780) return "hornpipe";
  return undefined;
}

function fitsMeter(type: TuneType, tune: Tune): boolean {
  const { num, den } = tune.meter;
  const whole = meterLength(tune.meter);
  switch (type) {
    case "jig":
      return num === 6 && den === 8;
    case "slip jig":
      return num === 9 && den === 8;
    case "slide":
      // Written in 12/8 or, as in the MIT corpus, 6/8.
      return (num === 12 || num === 6) && den === 8;
    case "reel":
      return whole.n === whole.d && den <= 4;
    case "hornpipe":
      return (whole.n === whole.d && den <= 4) || (num === 2 && den === 4);
    case "polka":
      return num === 2 && den === 4;
    case "waltz":
    case "mazurka":
      return num === 3 && den === 4;
    default:
      return true;
  }
}
