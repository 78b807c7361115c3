// Turns what a person drops or picks into a ShardSource: a folder (drag and drop or directory picker, walked
// recursively with relative paths) or a single archive file.
import type { ShardSource } from '../lib/ingest/source';

type Entry = FileSystemEntry;

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<Entry[]> {
  const reader = dir.createReader();
  const all: Entry[] = [];
  return new Promise((resolve, reject) => {
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function walk(entry: Entry, prefix: string, out: { path: string; file: Blob }[]) {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push({ path: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

const stripFirst = (files: { path: string; file: Blob }[]) => {
  const first = files[0]?.path.split('/')[0];
  return first && files.every((f) => f.path.startsWith(`${first}/`))
    ? files.map((f) => ({ ...f, path: f.path.slice(first.length + 1) }))
    : files;
};

export const sourceFromDrop = (data: DataTransfer): Promise<ShardSource | null> => readDrop(data).source();

/**
 * What a drop holds, taken from the event at once (a drop's data can be read only while its event runs): `source()`
 * walks it later. `handle`: a single dropped folder's File System Access handle, where the browser gives one
 * (Chromium), so the page can keep it and open the folder again after a reload.
 */
export function readDrop(data: DataTransfer): {
  source: () => Promise<ShardSource | null>;
  handle: Promise<FileSystemDirectoryHandle | null>;
} {
  const items = [...data.items].filter((i) => i.kind === 'file');
  type WithHandle = DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };
  const asHandle = items.length === 1 ? (items[0] as WithHandle).getAsFileSystemHandle?.() : undefined;
  const handle = (asHandle ?? Promise.resolve(null)).then(
    (h) => (h?.kind === 'directory' ? (h as FileSystemDirectoryHandle) : null),
    () => null,
  );
  const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((e): e is Entry => !!e);
  const first = data.files[0];
  const source = async (): Promise<ShardSource | null> => {
    if (entries.length === 1 && entries[0].isFile) return { kind: 'archive', name: first.name, blob: first };
    if (entries.length > 0) {
      const files: { path: string; file: Blob }[] = [];
      for (const e of entries) await walk(e, '', files);
      const name = entries.length === 1 ? entries[0].name : 'dropped files';
      return { kind: 'files', name, files: entries.length === 1 ? stripFirst(files) : files };
    }
    return first ? { kind: 'archive', name: first.name, blob: first } : null;
  };
  return { source, handle };
}

export function sourceFromFolderInput(list: FileList): ShardSource | null {
  const files = [...list].map((f) => ({ path: f.webkitRelativePath || f.name, file: f as Blob }));
  if (files.length === 0) return null;
  return { kind: 'files', name: files[0].path.split('/')[0] || 'folder', files: stripFirst(files) };
}

export function sourceFromFileInput(list: FileList): ShardSource | null {
  const file = list[0];
  return file ? { kind: 'archive', name: file.name, blob: file } : null;
}
