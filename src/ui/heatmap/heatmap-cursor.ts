/** The keyboard's cell cursor of a heatmap: which cell each key moves it to. */

/** A cell of a rows x cols map. */
export interface Cell {
  i: number;
  j: number;
}

/** Keys the cursor answers to, as aria-keyshortcuts lists them. */
export const CURSOR_KEYS = 'ArrowUp ArrowDown ArrowLeft ArrowRight Home End PageUp PageDown';

/**
 * The cell a key moves the cursor to, or undefined for a key that does not move it: the arrows by
 * one cell, stopping at the edges; Home and End to the first and last cell of the row; PageUp and
 * PageDown to the first and last row. With no cursor yet (or one outside the map, whose size
 * changed), any of them starts at the top left.
 */
export function cellAfterKey(key: string, at: Cell | null, rows: number, cols: number): Cell | undefined {
  if (rows <= 0 || cols <= 0 || !CURSOR_KEYS.split(' ').includes(key)) return undefined;
  if (!at || at.i < 0 || at.j < 0 || at.i >= rows || at.j >= cols) return { i: 0, j: 0 };
  let { i, j } = at;
  switch (key) {
    case 'ArrowUp':
      i -= 1;
      break;
    case 'ArrowDown':
      i += 1;
      break;
    case 'ArrowLeft':
      j -= 1;
      break;
    case 'ArrowRight':
      j += 1;
      break;
    case 'Home':
      j = 0;
      break;
    case 'End':
      j = cols - 1;
      break;
    case 'PageUp':
      i = 0;
      break;
    case 'PageDown':
      i = rows - 1;
      break;
  }
  return { i: Math.min(rows - 1, Math.max(0, i)), j: Math.min(cols - 1, Math.max(0, j)) };
}
