import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReplicaState, ReplicaStorage } from '@prep-live/client';

/**
 * The state file's name inside the directory.
 *
 * @example
 * ```ts
 * const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
 * ```
 */
export const STATE_FILE = '.wes-state.json';

/**
 * A replica kept in a directory: `DIR/.wes-state.json` (the state, written to a temporary
 * file and renamed over the old one, so a crash leaves either the old or the new state) and
 * one file per entity, named after its last path segment as it appears in the URL
 * (percent-encoding kept), also written with temp + rename. A name starting with `.wes-`
 * gets its dot percent-encoded (`%2Ewes-...`), so no entity can overwrite the state.
 *
 * @example
 * ```ts
 * const storage = new DirectoryStorage('./mirror', '/notes/');
 * await createReplicator({ url: 'http://localhost:8080/notes/', storage }).sync();
 * ```
 */
export class DirectoryStorage implements ReplicaStorage {
  readonly dir: string;
  readonly #container: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string, containerPath: string) {
    this.dir = dir;
    this.#container = containerPath;
  }

  /** The file that holds the entity at `path`. */
  fileOf(path: string): string {
    if (!path.startsWith(this.#container))
      throw new RangeError(`${path} is not in ${this.#container}`);
    let name = path.slice(this.#container.length);
    if (name === '' || name.includes('/') || name === '.' || name === '..')
      throw new RangeError(`${path} is not a direct member of ${this.#container}`);
    if (name.startsWith('.wes-')) name = `%2E${name.slice(1)}`;
    return join(this.dir, name);
  }

  async load(): Promise<ReplicaState | undefined> {
    // Temporary files of an interrupted run are garbage.
    try {
      for (const name of await readdir(this.dir))
        if (name.startsWith('.wes-tmp-')) await unlink(join(this.dir, name)).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    let text: string;
    try {
      text = await readFile(join(this.dir, STATE_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as ReplicaState;
    } catch {
      return undefined; // unreadable: as if lost, start over
    }
  }

  async save(state: ReplicaState): Promise<void> {
    await this.#atomicWrite(join(this.dir, STATE_FILE), JSON.stringify(state));
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.fileOf(path)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async write(path: string, body: Uint8Array): Promise<void> {
    await this.#atomicWrite(this.fileOf(path), body);
  }

  async remove(path: string): Promise<void> {
    try {
      await unlink(this.fileOf(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async #atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    await this.#ready;
    const tmp = join(this.dir, `.wes-tmp-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, data);
    await rename(tmp, file);
  }
}
