// A picked or dropped folder's handle (File System Access API, Chromium), kept per collection so that after a
// reload one button opens the same folder again, instead of "pick the folder again". The handle stays in this
// browser (its own small IndexedDB database, through idb) and grants nothing by itself: reading through it again
// asks the browser, which may ask the person. Browsers without the API keep the folder input and the old hint.
import { openDB, type IDBPDatabase } from 'idb';
import type { ShardSource } from './source';

const DB_NAME = 'simage-handles';
const STORE = 'handles';

/** The parts of the File System Access API used here (not all are in TypeScript's DOM library). */
interface PermissionHandle {
  queryPermission?(options: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(options: { mode: 'read' }): Promise<PermissionState>;
}
interface DirectoryHandle extends FileSystemDirectoryHandle, PermissionHandle {
  values(): AsyncIterable<FileSystemFileHandle | FileSystemDirectoryHandle>;
}

let opening: Promise<IDBPDatabase> | null = null;
const db = () => (opening ??= openDB(DB_NAME, 1, { upgrade: (d) => void d.createObjectStore(STORE) }));

/** Keeps `handle` as the way back to the collection stored under `key` (its sourceKey). Best effort: a browser
 *  that cannot store handles keeps nothing, and the page then asks for the folder as before. */
export async function rememberHandle(key: string, handle: FileSystemDirectoryHandle): Promise<void> {
  try {
    await (await db()).put(STORE, handle, key);
  } catch {
    // Not storable here (structured clone of handles unsupported): nothing to remember.
  }
}

/** The folder handle kept for the collection stored under `key`, if any. */
export async function handleFor(key: string): Promise<FileSystemDirectoryHandle | null> {
  try {
    const h = (await (await db()).get(STORE, key)) as FileSystemDirectoryHandle | undefined;
    return h?.kind === 'directory' ? h : null;
  } catch {
    return null;
  }
}

/** Forgets every kept handle (the settings' Clear cache). */
export async function forgetHandles(): Promise<void> {
  try {
    await (await db()).clear(STORE);
  } catch {
    // Nothing kept.
  }
}

/** Whether the page may read through the handle; `ask` (inside a click) asks the browser for it. */
export async function mayRead(handle: FileSystemDirectoryHandle, ask: boolean): Promise<boolean> {
  const h = handle as DirectoryHandle;
  if (!h.queryPermission) return true;
  if ((await h.queryPermission({ mode: 'read' })) === 'granted') return true;
  return ask && !!h.requestPermission && (await h.requestPermission({ mode: 'read' })) === 'granted';
}

/** The folder's files, walked recursively, with paths relative to it (as a picked folder's). */
export async function sourceFromHandle(handle: FileSystemDirectoryHandle): Promise<ShardSource> {
  const files: { path: string; file: Blob }[] = [];
  const walk = async (dir: DirectoryHandle, prefix: string) => {
    for await (const entry of dir.values()) {
      if (entry.kind === 'file') files.push({ path: prefix + entry.name, file: await (entry as FileSystemFileHandle).getFile() });
      else await walk(entry as DirectoryHandle, `${prefix}${entry.name}/`);
    }
  };
  await walk(handle as DirectoryHandle, '');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { kind: 'files', name: handle.name, files };
}
