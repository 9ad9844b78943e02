import type { ArtifactRef } from '@distillery/contracts';
import { mulberry32 } from '@distillery/cleaning';
import type { SplitInput } from '../src/index.js';

/**
 * Real text copied from ../shared/datasets (paths relative to it); tests never read ../shared at run time.
 */

/** multiclass/banking77/test.csv — rows 2–4 (card_arrival), 42–44 (card_linking), 82–83 (exchange_rate) as (text, category). CC BY 4.0 (BANKING77, PolyAI). */
export const BANKING77: ReadonlyArray<readonly [string, string]> = [
  ['How do I locate my card?', 'card_arrival'],
  ['I still have not received my new card, I ordered over a week ago.', 'card_arrival'],
  ['I ordered a card but it has not arrived. Help please!', 'card_arrival'],
  ["Why won't my card show up on the app?", 'card_linking'],
  ['I would like to reactivate my card.', 'card_linking'],
  ['Where do I link the new card?', 'card_linking'],
  ['I need to know your exchange rates.', 'exchange_rate'],
  ['What exchange rates do you offer?', 'exchange_rate'],
];

/** grounded-qa/squad-v2.0-dev-first5 — article "Normans", paragraph 0, first two sentences. CC BY-SA 4.0 (SQuAD 2.0). */
export const NORMANS =
  'The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. They were descended from Norse ("Norman" comes from "Norseman") raiders and pirates from Denmark, Iceland and Norway who, under their leader Rollo, agreed to swear fealty to King Charles III of West Francia.';

/** plain-text/gutenberg-alice/pg11.txt — the opening of chapter I. Public domain (US) + Project Gutenberg License. */
export const ALICE =
  'Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, “and what is the use of a book,” thought Alice “without pictures or conversations?”';

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tas', 'vu', 'de', 'nor', 'pi', 'sel', 'ga', 'tho', 'bri', 'un', 'es'];

/** A sentence of seeded pseudo-words: distinct rows do not look like near duplicates of each other. */
function pseudoSentence(seed: number): string {
  const rnd = mulberry32(seed);
  const word = (): string => Array.from({ length: 2 + Math.floor(rnd() * 2) }, () => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]).join('');
  return Array.from({ length: 8 }, word).join(' ');
}

/** Labelled rows with ids `r0…`, label counts as given (in order), a `speaker` field cycling over `groups`. */
export function labelledRows(labels: Readonly<Record<string, number>>, groups = 0): SplitInput[] {
  const out: SplitInput[] = [];
  for (const [label, n] of Object.entries(labels)) {
    for (let i = 0; i < n; i++) {
      const id = `r${out.length}`;
      out.push({ row_id: id, record: { text: pseudoSentence(out.length + 1), label, ...(groups > 0 ? { speaker: `s${out.length % groups}` } : {}) } });
    }
  }
  return out;
}

/** A seeded Fisher–Yates shuffle (copy). */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rnd = mulberry32(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export const ref = (name: string, hexDigit = 'a'): ArtifactRef => ({
  uri: `artifact://sha256/${hexDigit.repeat(64)}/${name}`,
  sha256: hexDigit.repeat(64),
  bytes: 1234,
  media_type: 'application/x-ndjson',
});
