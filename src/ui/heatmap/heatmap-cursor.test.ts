import { describe, expect, it } from 'vitest';
import { CURSOR_KEYS, cellAfterKey } from './heatmap-cursor';

describe('cellAfterKey', () => {
  it('starts at the top left on the first key, whatever the key', () => {
    for (const key of CURSOR_KEYS.split(' ')) expect(cellAfterKey(key, null, 4, 6)).toEqual({ i: 0, j: 0 });
    // A cursor left outside a map that shrank starts over too.
    expect(cellAfterKey('ArrowRight', { i: 9, j: 2 }, 4, 6)).toEqual({ i: 0, j: 0 });
  });

  it('moves one cell per arrow, rows down and columns right', () => {
    const at = { i: 2, j: 3 };
    expect(cellAfterKey('ArrowUp', at, 4, 6)).toEqual({ i: 1, j: 3 });
    expect(cellAfterKey('ArrowDown', at, 4, 6)).toEqual({ i: 3, j: 3 });
    expect(cellAfterKey('ArrowLeft', at, 4, 6)).toEqual({ i: 2, j: 2 });
    expect(cellAfterKey('ArrowRight', at, 4, 6)).toEqual({ i: 2, j: 4 });
  });

  it('stops at the edges instead of wrapping', () => {
    expect(cellAfterKey('ArrowUp', { i: 0, j: 1 }, 4, 6)).toEqual({ i: 0, j: 1 });
    expect(cellAfterKey('ArrowLeft', { i: 1, j: 0 }, 4, 6)).toEqual({ i: 1, j: 0 });
    expect(cellAfterKey('ArrowDown', { i: 3, j: 1 }, 4, 6)).toEqual({ i: 3, j: 1 });
    expect(cellAfterKey('ArrowRight', { i: 1, j: 5 }, 4, 6)).toEqual({ i: 1, j: 5 });
  });

  it('jumps to the ends of the row with Home and End, of the column with PageUp and PageDown', () => {
    const at = { i: 2, j: 3 };
    expect(cellAfterKey('Home', at, 4, 6)).toEqual({ i: 2, j: 0 });
    expect(cellAfterKey('End', at, 4, 6)).toEqual({ i: 2, j: 5 });
    expect(cellAfterKey('PageUp', at, 4, 6)).toEqual({ i: 0, j: 3 });
    expect(cellAfterKey('PageDown', at, 4, 6)).toEqual({ i: 3, j: 3 });
  });

  it('ignores other keys (Tab must still leave the map) and empty maps', () => {
    expect(cellAfterKey('Tab', { i: 1, j: 1 }, 4, 6)).toBeUndefined();
    expect(cellAfterKey('a', null, 4, 6)).toBeUndefined();
    expect(cellAfterKey('ArrowUp', null, 0, 6)).toBeUndefined();
  });
});
