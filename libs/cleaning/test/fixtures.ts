import type { TaskProfile, TransformedRow } from '@distillery/contracts';

/**
 * Short snippets of real text, copied from ../shared/datasets (paths relative to it) as test data; tests never
 * read ../shared at run time. PII inside them is either real and public (business contact lines on receipts,
 * premium-rate numbers in spam) or marked SYNTHETIC where a test inserts made-up values (reserved example domains,
 * Ofcom drama numbers 020 7946 0xxx, documented test card numbers, the example NHS number 943 476 5919).
 */

/** messy-csv/sms-spam-kaggle/spam.csv — rows 2, 3, 4, 11, 12, 15, 26, 27 (v2 column). CC BY 4.0 (UCI SMS Spam Collection). */
export const SMS = {
  jurong: 'Go until jurong point, crazy.. Available only in bugis n great world la e buffet... Cine there got amore wat...',
  okLar: 'Ok lar... Joking wif u oni...',
  freeEntry: "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 to receive entry question(std txt rate)T&C's apply 08452810075over18's",
  mobileUpdate: 'Had your mobile 11 months or more? U R entitled to Update to the latest colour mobiles with camera for Free! Call The Mobile Update Co FREE on 08002986030',
  homeSoon: "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight, k? I've cried enough today.",
  searching: "I've been searching for the right words to thank you for this breather. I promise i wont take your help for granted and will fulfil my promise. You have been wonderful and a blessing at all times.",
  fffff: 'Ffffffffff. Alright no way I can meet up with you sooner?',
  pizza: "Just forced myself to eat a slice. I'm really not hungry tho. This sucks. Mark is getting worried. He knows I'm sick when I turn down pizza. Lol",
  /** Row 20 as decoded from windows-1252 bytes that were not valid UTF-8: replacement characters. */
  legacyBytes: 'Fine if that\ufffd\ufffds the way u feel. That\ufffd\ufffds the way its gota b',
};

/** multiclass/banking77/test.csv — rows 2–6 and 8 (text, category). CC BY 4.0 (BANKING77, PolyAI). */
export const BANKING77: ReadonlyArray<readonly [string, string]> = [
  ['How do I locate my card?', 'card_arrival'],
  ['I still have not received my new card, I ordered over a week ago.', 'card_arrival'],
  ['I ordered a card but it has not arrived. Help please!', 'card_arrival'],
  ['Is there a way to know when my card will arrive?', 'card_arrival'],
  ['My card has not arrived yet.', 'card_arrival'],
  ['Do you know if there is a tracking number for the new card you sent me?', 'card_arrival'],
];

/** sentiment/uci-sentiment-labelled-sentences/amazon_cells_labelled.txt — lines 6–10. CC BY 4.0 (Kotzias et al. 2015). */
export const AMAZON = [
  'I have to jiggle the plug to get it to line up right to get decent volume.',
  'If you have several dozen or several hundred contacts, then imagine the fun of sending each of them one by one.',
  'If you are Razr owner...you must have this!',
  'Needless to say, I wasted my money.',
  'What a waste of money and time!.',
];

/** kv-extraction/sroie/train/metadata.jsonl — OCR `words` of receipts X00016469669 and a later one (lines joined). CC BY 4.0 (ICDAR 2019 SROIE). */
export const SROIE_RECEIPT = [
  'ABC HO TRADING',
  'NO.2&4',
  'TAMAN DESA HARMONI.',
  '81100 JOHOR BAHRU JOHOR',
  '07-355 2616',
  'CASH BILL :',
  '01-143008',
  'DATE',
  ':',
  '09/01/2019 8:01:11 PM',
  'TOTAL :',
  '31.00',
].join('\n');

/** grounded-qa/squad-v2.0-dev-first5 — article "Normans", paragraph 0 (first two sentences), question 0. CC BY-SA 4.0 (SQuAD 2.0). */
export const SQUAD_NORMANS = {
  context:
    'The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. They were descended from Norse ("Norman" comes from "Norseman") raiders and pirates from Denmark, Iceland and Norway who, under their leader Rollo, agreed to swear fealty to King Charles III of West Francia.',
  question: 'In what country is Normandy located?',
  answer: 'France',
  answer_start: 159,
};

/** ner/wnut17/wnut17train.conll — sentence 1 (tokens and BIO tags, as bio_to_spans maps them). CC BY 4.0 (WNUT-17). */
export const WNUT_TOKENS = ['@paulwalk', 'It', "'s", 'the', 'view', 'from', 'where', 'I', "'m", 'living', 'for', 'two', 'weeks', '.', 'Empire', 'State', 'Building', '=', 'ESB', '.', 'Pretty', 'bad', 'storm', 'here', 'last', 'evening', '.'];

/** chat/oasst1-en-100/oasst_en_100_messages.jsonl — conversation 1, first user turn and the start of the reply. Apache-2.0 (OpenAssistant oasst1). */
export const OASST = {
  user: 'How to protect my eyes when I have to stare at my computer screen for longer than 10 hours every day?',
  assistant:
    'Your eyes are not designed to stare at one thing in front of you for many hours. Here are several ways to protect your eyes:\n1. The 20/20/20 rule\nFor every 20 minutes looking at the screen, look at something else at least 20 feet, or 6 meters away for 20 seconds.',
};

/** plain-text/gutenberg-alice/pg11.txt — the opening of chapter I. Public domain (US) + Project Gutenberg License. */
export const ALICE =
  'Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, “and what is the use of a book,” thought Alice “without pictures or conversations?”';

let seq = 0;
/** A TransformedRow as the mapping stage writes it (row ids are positional here; real ones are content hashes). */
export function row(task_profile: TaskProfile, record: Readonly<Record<string, unknown>>, row_id = `row-${seq++}`): TransformedRow {
  return { row_id, source: { locator: 'jsonl:/data/test.jsonl', resolved: '/data/test.jsonl', position: 0 }, task_profile, record };
}
