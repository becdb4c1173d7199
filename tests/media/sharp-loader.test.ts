import { describe, expect, test } from '@jest/globals';
import { findSharp, loadSharp } from '../../src/media/sharp-loader.js';

describe('sharp, found at start and loaded on first use', () => {
  test('finding sharp on disk agrees with loading it', () => {
    const found = findSharp();
    const loaded = loadSharp();
    expect(found.available).toBe(loaded.sharp !== null);
    expect(found.available).toBe(true); // this install has sharp and its linux binary
    expect(loadSharp()).toBe(loaded); // loaded once
  });
});
