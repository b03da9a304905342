/**
 * Quoted history and signatures folded out of a mail's shown text: replies quote the whole thread
 * below (or above) the answer, and the Matrix thread shows those mails already. What is folded:
 * a trailing block of `>` lines with the attribution line before it (`On … wrote:`, `Am … schrieb`,
 * `Le … a écrit`, Outlook's `-----Original Message-----` and everything after it), and a trailing
 * signature after a `-- ` line. Nothing is folded when the answer itself would be empty.
 */

const ATTRIBUTION = [
  /^on .{0,200}\bwrote:\s*$/i,
  /^am .{0,200}\bschrieb .{0,100}:\s*$/i,
  /^le .{0,200}\ba écrit\s*:\s*$/i,
  /^el .{0,200}\bescribió:\s*$/i,
];
const OUTLOOK =
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}\s*$/i;
const SIGNATURE = /^-- ?$/;

export interface Folded {
  text: string;
  /** Lines folded away (0: the text is as it came). */
  folded: number;
}

export function foldQuotes(text: string): Folded {
  const lines = text.split('\n');
  let end = lines.length;
  // Outlook: everything from its separator on is the old mail.
  const outlook = lines.findIndex((l) => OUTLOOK.test(l.trim()));
  if (outlook > 0) end = outlook;
  // A trailing quote block (blank lines allowed inside), with its attribution line.
  let i = end;
  while (i > 0 && (lines[i - 1]!.startsWith('>') || lines[i - 1]!.trim() === '')) i--;
  if (i < end && lines.slice(i, end).some((l) => l.startsWith('>'))) {
    end = i;
    // The attribution may wrap over two lines (`On Mon, … Bob <bob@x>` / `wrote:`).
    const last = lines[end - 1]?.trim() ?? '';
    const twoLines = `${lines[end - 2]?.trim() ?? ''} ${last}`;
    if (ATTRIBUTION.some((r) => r.test(last))) end -= 1;
    else if (end >= 2 && ATTRIBUTION.some((r) => r.test(twoLines))) end -= 2;
  }
  // A signature at the end of what is left.
  let sig = end - 1;
  while (sig > 0 && !SIGNATURE.test(lines[sig]!)) sig--;
  if (sig > 0) end = sig;
  const kept = lines.slice(0, end).join('\n').trimEnd();
  if (!kept.trim() || end === lines.length) return { text: text.trimEnd(), folded: 0 };
  return { text: kept, folded: lines.length - end };
}
