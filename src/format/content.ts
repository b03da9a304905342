/**
 * The one intermediate form message content takes between Matrix and a network,
 * so each bridge writes one converter each way.
 */

/** A run of formatted text: plain strings, or a styled span of children. */
export type Inline =
  | string
  | { style: 'bold' | 'italic' | 'underline' | 'strike' | 'code'; children: Inline[] }
  | { style: 'color'; fg?: string; bg?: string; children: Inline[] }
  | { style: 'link'; href: string; children: Inline[] }
  /** A mention of a Matrix user (for a ghost: the remote user behind it). */
  | { style: 'mention'; userId: string; children: Inline[] }
  | { style: 'pre'; children: Inline[] }
  | { style: 'linebreak' }
  /** Hidden until the reader reveals it (Matrix `data-mx-spoiler`, Discord `||…||`). */
  | { style: 'spoiler'; children: Inline[] }
  /**
   * Blocks: a quote, a heading (level 1–6), a list of `item`s. A block stands on lines of its
   * own: producers put a `linebreak` between it and the text around it, as between lines.
   * Renderers without blocks show them as `flattenBlocks` (blocks.ts) does: `> ` before each
   * line of a quote, a heading in bold, `- ` or `1. ` before each item.
   */
  | { style: 'quote'; children: Inline[] }
  | { style: 'heading'; level: number; children: Inline[] }
  | { style: 'list'; ordered: boolean; start?: number; children: Inline[] }
  | { style: 'item'; children: Inline[] }
  /** A custom emoji: its image (`src`, an `mxc://` URL) where it can be shown, else `children` (`:name:`). */
  | { style: 'emoticon'; src: string; children: Inline[] };

export interface Attachment {
  /** `mxc://` for Matrix media; an https URL for remote media. */
  url: string;
  name: string;
  mimeType?: string;
  size?: number;
}

export interface MessageContent {
  kind: 'text' | 'notice' | 'emote';
  /** The plain text: always present, the whole message for networks without formatting. */
  text: string;
  /** The formatted form, when the sender used formatting. */
  formatted?: Inline[];
  attachments?: Attachment[];
}

export const plainText = (text: string, kind: MessageContent['kind'] = 'text'): MessageContent => ({
  kind,
  text,
});
