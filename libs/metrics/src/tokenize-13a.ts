import { splitWhitespace } from './common.js';

const RULES: readonly (readonly [RegExp, string])[] = [
  // symbols and most punctuation become tokens of their own (not ' , - . which depend on context)
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // period and comma split off unless preceded by a digit
  [/([^0-9])([.,])/g, '$1 $2 '],
  // period and comma split off unless followed by a digit
  [/([.,])([^0-9])/g, ' $1 $2'],
  // a dash after a digit is split off
  [/([0-9])(-)/g, '$1 $2 '],
];

/**
 * The mteval-v13a tokenizer that sacreBLEU uses by default (`tok:13a`): drops `<skipped>`, joins lines broken with
 * `-\n`, unescapes `&quot; &amp; &lt; &gt;`, then splits punctuation off words the way WMT has scored since 2008.
 * Returns the tokens joined by single spaces.
 */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  text = ` ${text} `;
  for (const [pattern, replacement] of RULES) text = text.replace(pattern, replacement);
  return splitWhitespace(text).join(' ');
}
