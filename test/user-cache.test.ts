/**
 * The per-user cache stays bounded (lib/user-cache.ts): trimming removes the entries used least
 * recently until the rest fit, renews nothing it should not, and never touches another process's
 * temp file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { touchCacheEntry, trimCache } from '../lib/user-cache';
import { tmpDir } from './helpers';

/** A file of `kib` KiB whose last use was `minutesAgo` minutes ago. */
function entry(dir: string, name: string, kib: number, minutesAgo: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.alloc(kib * 1024));
  const at = new Date(Date.now() - minutesAgo * 60_000);
  fs.utimesSync(file, at, at);
  return file;
}

test('trimming removes the least recently used entries until the rest fit, and nothing while they fit', () => {
  const dir = tmpDir('cache-trim-');
  entry(dir, 'a.js', 40, 30);
  entry(dir, 'b.js', 40, 20);
  entry(dir, 'c.js', 40, 10);
  trimCache(dir, 120 * 1024);
  expect(fs.readdirSync(dir).sort()).toEqual(['a.js', 'b.js', 'c.js']);
  trimCache(dir, 100 * 1024);
  expect(fs.readdirSync(dir).sort()).toEqual(['b.js', 'c.js']);
  trimCache(dir, 0);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('an entry used again outlives newer entries nobody used since', () => {
  const dir = tmpDir('cache-touch-');
  const old = entry(dir, 'old.js', 40, 60);
  entry(dir, 'newer.js', 40, 5);
  touchCacheEntry(old);
  trimCache(dir, 50 * 1024);
  expect(fs.readdirSync(dir)).toEqual(['old.js']);
});

test("another process's temp file (about to be renamed into place) is never removed", () => {
  const dir = tmpDir('cache-temp-');
  entry(dir, '.x.js.123-abcd.tmp', 40, 60);
  entry(dir, 'x.js', 40, 1);
  trimCache(dir, 0);
  expect(fs.readdirSync(dir)).toEqual(['.x.js.123-abcd.tmp']);
});

test('a missing folder or a vanished entry is no error', () => {
  expect(() => trimCache(path.join(tmpDir('cache-none-'), 'absent'), 0)).not.toThrow();
  expect(() => touchCacheEntry(path.join(tmpDir('cache-none-'), 'absent.js'))).not.toThrow();
});
