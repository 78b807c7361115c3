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

export async function sourceFromDrop(data: DataTransfer): Promise<ShardSource | null> {
  const items = [...data.items].filter((i) => i.kind === 'file');
  const entries = items.map((i) => i.webkitGetAsEntry?.()).filter((e): e is Entry => !!e);
  if (entries.length === 1 && entries[0].isFile) {
    const file = data.files[0];
    return { kind: 'archive', name: file.name, blob: file };
  }
  if (entries.length > 0) {
    const files: { path: string; file: Blob }[] = [];
    for (const e of entries) await walk(e, '', files);
    const name = entries.length === 1 ? entries[0].name : 'dropped files';
    return { kind: 'files', name, files: entries.length === 1 ? stripFirst(files) : files };
  }
  const file = data.files[0];
  return file ? { kind: 'archive', name: file.name, blob: file } : null;
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
