import type { TimelineViewModel } from '../../core/timeline/view-model';

/**
 * The messages between the timeline webview (media/timeline/timeline.js) and the extension, in one place. The
 * webview's script is plain JavaScript: it reads and writes exactly these shapes.
 */

/** Extension → webview. */
export type ToWebview =
  | { type: 'model'; model: TimelineViewModel }
  /** Ask the webview for its SVG (the Export command in the panel's title bar or the palette). */
  | { type: 'export' };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  /** Reveal the record (an index into the entries the model was built from) in the log document. */
  | { type: 'reveal'; record: number }
  /** The drawn SVG, with the theme's colours resolved, to save. */
  | { type: 'exportSvg'; svg: string };

export function isFromWebview(m: unknown): m is FromWebview {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'ready') return true;
  if (t === 'reveal') return Number.isInteger((m as { record?: unknown }).record);
  if (t === 'exportSvg') return typeof (m as { svg?: unknown }).svg === 'string';
  return false;
}
