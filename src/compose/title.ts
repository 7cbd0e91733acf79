import { Rng } from "../model/rng.js";

/**
 * A title in the manner of the tune books ("The Humours of Ballyconnell", "Molly's
 * Fancy", "The Road to Lisheen"), from the request's seed value, so the same request
 * gets the same name.
 */
const PEOPLE = [
  "Molly",
  "Paddy",
  "Maggie",
  "Johnny",
  "Kitty",
  "Denis",
  "Nora",
  "Michael",
  "Bridget",
  "Con",
  "Peggy",
  "Tom",
];
const PLACES = [
  "Ballyvourney",
  "Lisheen",
  "Kilfenora",
  "Tulla",
  "Ennis",
  "Glenbeigh",
  "Sligo",
  "Castlebar",
  "Dingle",
  "Knocknagree",
  "Annagh",
  "Ballinakill",
];
const THINGS = [
  "Fancy",
  "Favourite",
  "Delight",
  "Lament",
  "Frolic",
  "Welcome",
  "Wedding",
  "Return",
  "Farewell",
  "Dream",
];
const SCENES = [
  "Windy Gap",
  "Silver Spear",
  "Green Fields",
  "Morning Dew",
  "Blackbird",
  "Stony Road",
  "Low Bridge",
  "Bog Cotton",
  "Harvest Moon",
  "Boat Pier",
];

export function tuneTitle(seedValue: number, style: string): string {
  const rng = Rng.derive(seedValue, 0x7117e);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)] as T;
  switch (Math.floor(rng.next() * 5)) {
    case 0:
      return `${pick(PEOPLE)}'s ${pick(THINGS)}`;
    case 1:
      return `The Humours of ${pick(PLACES)}`;
    case 2:
      return `The Road to ${pick(PLACES)}`;
    case 3:
      return `The ${pick(SCENES)}`;
    default:
      return `The ${pick(PLACES)} ${style.replace(/\b\w/g, (c) => c.toUpperCase())}`;
  }
}
