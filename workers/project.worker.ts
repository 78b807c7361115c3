// Project worker: export and import of project files (src/lib/project/project.ts), wired to typed messages. Thin.
// An export is written as a stream into the origin's private file system (OPFS), so a 1 GB file is on disk, not in
// memory, and the page gets it back as a disk-backed File to download; the previous export there is removed first.
import { exportProject, importProject, type ProjectProgress } from '../src/lib/project/project';
import type { ExportProjectRequest, ImportProjectRequest, ProjectMethods } from '../src/lib/project/protocol';
import { measureProgress, throttle } from '../src/lib/progress';
import { serve, type Job } from '../src/lib/rpc';
import { getShard, openForJob } from '../src/lib/store/db';

const DIR = 'simage-exports';

/** Progress events at most four times a second, with rate and ETA per phase. */
function reporter(job: Job<ProjectMethods['exportProject']['event']>) {
  let phase = '';
  let started = Date.now();
  const emit = throttle(
    (p: ProjectProgress) =>
      job.emit({ type: 'progress', progress: measureProgress(`project-${p.phase}`, p.done, p.total, started, Date.now(), p.phase) }),
    250,
  );
  return (p: ProjectProgress) => {
    if (p.phase !== phase) {
      phase = p.phase;
      started = Date.now();
    }
    emit(p, p.done === p.total);
  };
}

async function exportJob(req: ExportProjectRequest, job: Job<ProjectMethods['exportProject']['event']>) {
  const started = Date.now();
  const db = await openForJob(job);
  const shard = await getShard(db, req.shardId);
  const safe = (shard?.name ?? 'shard').replace(/[^\w.-]+/g, '_').slice(0, 60) || 'shard';
  const name = `${safe}.simage`;
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(DIR, { recursive: true }).catch(() => {});
  const dir = await root.getDirectoryHandle(DIR, { create: true });
  const handle = await dir.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  const summary = await exportProject(
    db,
    { shardId: req.shardId, models: req.models, generator: 'simage (browser)' },
    writable,
    reporter(job),
    job.signal,
  );
  return { file: await handle.getFile(), name, summary, elapsedMs: Date.now() - started };
}

async function importJob(req: ImportProjectRequest, job: Job<ProjectMethods['importProject']['event']>) {
  const started = Date.now();
  const db = await openForJob(job);
  const summary = await importProject(db, req.file, reporter(job), job.signal);
  return { ...summary, elapsedMs: Date.now() - started };
}

serve<ProjectMethods>(
  { exportProject: exportJob, importProject: importJob },
  { exportProject: 'Writing the project file failed', importProject: 'Reading the project file failed' },
  self,
);
