import { describe, expect, it } from 'vitest';
import { CURSOR_KEYS, cellAfterKey } from './heatmap-cursor';

describe('cellAfterKey', () => {
  it('starts at the top left on the first key, whatever the key', () => {
    for (const key of CURSOR_KEYS.split(' ')) expect(cellAfterKey(key, null, 4, 6)).toEqual({ i: 0, j: 0 });
    // A cursor left outside a map that shrank starts over too.
    expect(cellAfterKey('ArrowRight', { i: 9, j: 2 }, 4, 6)).toEqual({ i: 0, j: 0 });
  });

  // An arrow moves one cell (rows down, columns right); Home and End go to the row's ends,
  // PageUp and PageDown to the column's.
  it.each([
    ['ArrowUp', { i: 1, j: 3 }],
    ['ArrowDown', { i: 3, j: 3 }],
    ['ArrowLeft', { i: 2, j: 2 }],
    ['ArrowRight', { i: 2, j: 4 }],
    ['Home', { i: 2, j: 0 }],
    ['End', { i: 2, j: 5 }],
    ['PageUp', { i: 0, j: 3 }],
    ['PageDown', { i: 3, j: 3 }],
  ])('moves %s from row 2, column 3 of a 4 × 6 map to %j', (key, to) => {
    expect(cellAfterKey(key, { i: 2, j: 3 }, 4, 6)).toEqual(to);
  });

  it.each([
    ['ArrowUp', { i: 0, j: 1 }],
    ['ArrowLeft', { i: 1, j: 0 }],
    ['ArrowDown', { i: 3, j: 1 }],
    ['ArrowRight', { i: 1, j: 5 }],
  ])('stops %s at the edge, at %j, instead of wrapping', (key, at) => {
    expect(cellAfterKey(key, at, 4, 6)).toEqual(at);
  });

  it('ignores other keys (Tab must still leave the map) and empty maps', () => {
    expect(cellAfterKey('Tab', { i: 1, j: 1 }, 4, 6)).toBeUndefined();
    expect(cellAfterKey('a', null, 4, 6)).toBeUndefined();
    expect(cellAfterKey('ArrowUp', null, 0, 6)).toBeUndefined();
  });
});
