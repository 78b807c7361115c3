// The project worker's methods (workers/project.worker.ts), shared by the page and the worker.
import type { Method } from '../rpc';
import type { ProgressEvent } from '../progress';
import type { ExportSummary, ImportSummary } from './project';

export interface ExportProjectRequest {
  shardId: string;
  /** Feature model ids to include, or 'all'. */
  models: 'all' | string[];
}

export interface ExportProjectResult {
  /** The written file (in the origin's private file system, so it is on disk, not in memory). */
  file: File;
  name: string;
  summary: ExportSummary;
  elapsedMs: number;
}

export interface ImportProjectRequest {
  file: Blob;
}

export interface ImportProjectResult extends ImportSummary {
  elapsedMs: number;
}

export type ProjectMethods = {
  exportProject: Method<ExportProjectRequest, ProgressEvent, ExportProjectResult>;
  importProject: Method<ImportProjectRequest, ProgressEvent, ImportProjectResult>;
};
