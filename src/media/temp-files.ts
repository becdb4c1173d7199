import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The temporary files of one preparation. Every path is registered before anything writes to it,
 * so a crash or kill half-way through still leaves nothing behind once `removeAll` runs.
 */
export class TempFiles {
  private readonly paths = new Set<string>();

  constructor(private readonly dir: string) {}

  /** A fresh random path in the temp dir; the file itself is not created. */
  allocate(extension: string): string {
    const path = join(this.dir, `wa-media-${randomUUID()}.${extension}`);
    this.paths.add(path);
    return path;
  }

  /** Removes a file early (intermediate results), keeping the others. */
  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
    this.paths.delete(path);
  }

  async removeAll(): Promise<void> {
    const paths = [...this.paths];
    this.paths.clear();
    await Promise.all(paths.map((path) => rm(path, { force: true })));
  }
}
