/** What the tags of Matrix HTML mean to the formatting tree. */

/** Tags whose content is never shown: code, metadata, and the reply fallback. */
export const SKIPPED_TAGS: ReadonlySet<string> = new Set([
  ...['script', 'style', 'mx-reply', 'head', 'title', 'template', 'textarea'],
]);

/** Tags that start and end a line of their own. */
export const BLOCK_TAGS: ReadonlySet<string> = new Set([
  ...['p', 'div', 'blockquote', 'ul', 'ol', 'li', 'pre', 'hr', 'table', 'tr', 'caption'],
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'dl', 'dt', 'dd', 'details', 'summary'],
  ...['section', 'article', 'header', 'footer', 'nav', 'aside', 'figure', 'figcaption', 'main'],
]);

type SimpleStyle = 'bold' | 'italic' | 'underline' | 'strike' | 'code';

const tagsOf = (style: SimpleStyle, tags: string[]) => tags.map((tag) => [tag, style] as const);

/** Tags that map to one style with no attributes; headings become bold. A Map, since tag names are input. */
export const SIMPLE_STYLE_TAGS: ReadonlyMap<string, SimpleStyle> = new Map([
  ...tagsOf('bold', ['b', 'strong', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']),
  ...tagsOf('italic', ['i', 'em']),
  ...tagsOf('underline', ['u', 'ins']),
  ...tagsOf('strike', ['s', 'del', 'strike']),
  ...tagsOf('code', ['code', 'tt', 'kbd', 'samp']),
]);
