/**
 * The outbox's media folder: uploads of queued sends are moved here (out of the upload folder,
 * which is emptied after every request) and stay until their job is sent or failed.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

export class MediaSpool {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Moves a finished upload into the spool under a random name; returns where it now lives. */
  async adopt(tempPath: string, originalName: string): Promise<{ path: string; bytes: number }> {
    const path = await this.newPath(originalName);
    try {
      await rename(tempPath, path);
    } catch (err) {
      // Upload folder and data folder on different filesystems: copy, then drop the original.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(tempPath, path);
      await rm(tempPath, { force: true });
    }
    return { path, bytes: (await stat(path)).size };
  }

  /**
   * Writes media bytes kept in the shared store to a new spool file for one send (the transport
   * streams files); the caller removes it after, and a crash in between leaves an orphan the
   * start-up sweep removes.
   */
  async write(bytes: Buffer, originalName: string): Promise<string> {
    const path = await this.newPath(originalName);
    await writeFile(path, bytes, { flag: 'wx' });
    return path;
  }

  private async newPath(originalName: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const ext = extname(originalName)
      .toLowerCase()
      .replace(/[^.a-z0-9]/g, '');
    return join(this.dir, `${randomUUID()}${ext}`);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  /**
   * Deletes spool files no pending job refers to: left by a crash between adopting a file and
   * committing its job, or between finishing a job and removing its file. Run at start, before
   * accepting sends.
   */
  async sweepOrphans(referenced: Iterable<string>): Promise<string[]> {
    const keep = new Set([...referenced].map((p) => resolve(p)));
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const removed: string[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (keep.has(path)) continue;
      await rm(path, { force: true, recursive: true });
      removed.push(path);
    }
    return removed;
  }
}
