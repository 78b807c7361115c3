// The retrieval net as IndexedDB keeps it (one per shard), and its three conversions: from a finished training,
// from an imported model file (modelfile.ts), and back into a net that answers queries. Beside the model file code,
// so the training worker only wires these to messages.
import * as tf from '@tensorflow/tfjs';
import type { Calibration } from './hubness';
import type { EmbeddingSettings } from '../embedding/run';
import type { AssembledTask } from './data';
import { referenceTensor, type Retriever, type TrainOutcome } from './heads';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ModelFileError,
  packModelFile,
  type CollectionRecord,
  type ExtractorRecord,
  type ModelFileParts,
  type ModelManifest,
  type PreprocessRecord,
} from './modelfile';
import type { ModelSummary, QualityRow, RetrievalEvaluation } from './protocol';
import { TAG_METHODS, type LabelSpace, type TagMethod, type Tagger } from './tagging';
import type { EpochReport, TrainSettings } from './train-settings';
import type { CopyHashes } from './copies';
import type { BackendName } from '../features/backend';

/** A trained (or imported) model as stored, one per shard. */
export interface StoredModel {
  shardId: string;
  /** What it was trained from and how: a stored model with the same key is reused instead of retrained. */
  trainKey: string;
  manifest: Omit<ModelManifest, 'files'>;
  modelJson: ModelFileParts['modelJson'];
  weights: ArrayBuffer;
  references: ArrayBuffer | null;
  history: EpochReport[];
  evaluation: RetrievalEvaluation | null;
  timingsMs: { train: number; evaluate: number };
  imported: boolean;
  savedAt: number;
  /** Each vocabulary label's row of V (manifest.vocabulary order), for label queries and decoded tags. */
  labelSpace?: { basis: ArrayBuffer; components: number } | null;
  tagger?: Tagger;
  quality?: QualityRow[];
}

export const DEFAULT_TAGGER: Tagger = { method: 'vote', k: 10 };

/** A file's tagger if it names a known one, else the default. */
function validTagger(t: unknown): Tagger {
  const v = t as Partial<Tagger> | undefined;
  return v && TAG_METHODS.includes(v.method as TagMethod) && Number.isInteger(v.k) && (v.k as number) >= 1 && (v.k as number) <= 1000
    ? {
        method: v.method!,
        k: v.k!,
        ...(typeof v.alpha === 'number' && v.alpha >= 0 && v.alpha <= 1 ? { alpha: v.alpha } : {}),
        ...(v.weighting === 'softmax' || v.weighting === 'cosine' ? { weighting: v.weighting } : {}),
      }
    : DEFAULT_TAGGER;
}

/** What a finished training adds to the task: the shard it read, the net's artifacts, the evaluation. */
export interface TrainedModelParts {
  shard: { shardId: string; name: string; labelsHash: string };
  trainKey: string;
  embeddingKey: string;
  embedding: EmbeddingSettings;
  featureModelId: string;
  featureDim: number;
  settings: TrainSettings;
  backend: BackendName;
  task: AssembledTask;
  outcome: TrainOutcome;
  evaluation: RetrievalEvaluation;
  timingsMs: { train: number; evaluate: number };
  labelSpace: LabelSpace | null;
  tagger: Tagger;
  quality: QualityRow[];
  calibration: Calibration | null;
  minusStrength: number;
}

/** The net's topology and weights, as tf.io saves them (in memory). */
export async function saveArtifacts(model: tf.LayersModel): Promise<Pick<StoredModel, 'modelJson' | 'weights'>> {
  const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
    void model.save(
      tf.io.withSaveHandler(async (a) => {
        resolve(a);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  });
  const weights = Array.isArray(artifacts.weightData)
    ? tf.io.concatenateArrayBuffers(artifacts.weightData)
    : (artifacts.weightData as ArrayBuffer);
  return {
    modelJson: {
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
    },
    weights,
  };
}

/** The record of a finished training: the manifest an export carries, the net, the curve and the evaluation. */
export async function trainedRecord(p: TrainedModelParts): Promise<StoredModel> {
  const { settings, task, outcome, embedding: e } = p;
  return {
    shardId: p.shard.shardId,
    trainKey: p.trainKey,
    manifest: {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      head: settings.head,
      layer: settings.layer,
      target: settings.target,
      k: settings.k,
      featureModelId: p.featureModelId,
      featureDim: p.featureDim,
      targetDim: settings.head === 'embedding' ? task.data.targetDim : 0,
      shard: { id: p.shard.shardId, name: p.shard.name, labelsHash: p.shard.labelsHash },
      references: task.refIds,
      vocabulary: task.vocabulary,
      embedding: {
        key: p.embeddingKey,
        layout: e.layout,
        components: e.components,
        perplexity: e.perplexity,
        iterations: e.iterations,
        k: e.k,
        seed: e.seed,
      },
      training: {
        epochs: outcome.history.length,
        bestEpoch: outcome.best?.epoch ?? 0,
        validationScore: outcome.best?.validation.score ?? 0,
        settings: { ...settings, backend: p.backend },
      },
      createdAt: new Date().toISOString(),
      ...(p.labelSpace ? { labelSpace: { components: p.labelSpace.components } } : {}),
      tagger: p.tagger,
      selection: { kind: task.selection.kind, size: task.selection.size },
      ...(p.calibration ? { calibration: p.calibration } : {}),
      minusStrength: p.minusStrength,
    },
    ...(await saveArtifacts(outcome.retriever.model)),
    references: settings.head === 'embedding' ? task.refTargets.slice().buffer : null,
    history: outcome.history,
    evaluation: p.evaluation,
    timingsMs: p.timingsMs,
    imported: false,
    savedAt: Date.now(),
    labelSpace: p.labelSpace ? { basis: p.labelSpace.basis.slice().buffer, components: p.labelSpace.components } : null,
    tagger: p.tagger,
    quality: p.quality,
  };
}

/** The record of an imported model file (already validated against the shard). */
export function importedRecord(shardId: string, parts: ModelFileParts): StoredModel {
  const { files: _files, ...manifest } = parts.manifest;
  return {
    shardId,
    trainKey: `imported:${parts.manifest.files['weights.bin']}`,
    manifest,
    modelJson: parts.modelJson,
    weights: parts.weights.slice().buffer,
    references: parts.references ? parts.references.slice().buffer : null,
    history: [],
    evaluation: null,
    timingsMs: { train: 0, evaluate: 0 },
    imported: true,
    savedAt: Date.now(),
    labelSpace:
      parts.labelSpace && parts.manifest.labelSpace
        ? { basis: parts.labelSpace.slice().buffer, components: parts.manifest.labelSpace.components }
        : null,
    tagger: validTagger(parts.manifest.tagger),
    quality: [],
  };
}

/** The label space of a stored record, or null when it has none. */
export function labelSpaceOf(record: StoredModel): LabelSpace | null {
  const ls = record.labelSpace;
  return ls ? { vocabulary: record.manifest.vocabulary, basis: new Float32Array(ls.basis), components: ls.components } : null;
}

/** A stored record back into a net that ranks references (on the current tf backend). */
export async function retrieverFrom(record: StoredModel): Promise<Retriever> {
  const weightSpecs = record.modelJson.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: record.modelJson.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs,
        weightData: record.weights,
      }),
    );
  } catch (err) {
    throw new ModelFileError(`The model's net cannot be loaded (${(err as Error).message}). Nothing was changed.`);
  }
  const m = record.manifest;
  const refs = m.head === 'embedding' && record.references ? referenceTensor(new Float32Array(record.references), m.targetDim) : null;
  return { head: m.head, target: m.target, model, refs };
}

/** What a version-2 file adds to the stored record: the collection as the page ranks it, and the base network. */
export interface FileExtras {
  collection: CollectionRecord;
  predicted: Float32Array | null;
  referenceFeatures: Float32Array | null;
  /** Every image of the collection record (references, then predicted) by its perceptual hash. */
  copies: CopyHashes | null;
  extractor: ExtractorRecord;
  preprocess: PreprocessRecord;
  /** The base network's files, embedded when given. */
  extractorFiles: { modelJson: unknown; weights: Uint8Array } | null;
}

const bytesOf = (a: Float32Array | null) => (a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : null);

/** The model file of a stored record, and the name to save it under. */
export async function exportFile(record: StoredModel, extras: FileExtras): Promise<{ file: Blob; name: string }> {
  const file = await packModelFile({
    manifest: {
      ...record.manifest,
      version: MODEL_FORMAT_VERSION,
      extractor: { ...extras.extractor, embedded: !!extras.extractorFiles },
      preprocess: extras.preprocess,
      collection: {
        predicted: extras.collection.predicted.length,
        heldOut: extras.collection.heldOut.length,
        referenceFeatures: !!extras.referenceFeatures,
        ...(extras.copies ? { copies: 'phash-256' as const } : {}),
      },
    },
    modelJson: record.modelJson,
    weights: new Uint8Array(record.weights),
    references: record.references ? new Uint8Array(record.references) : null,
    labelSpace: record.labelSpace ? new Uint8Array(record.labelSpace.basis) : null,
    collection: extras.copies
      ? { ...extras.collection, unhashed: [...extras.copies.known.keys()].filter((i) => !extras.copies!.known[i]) }
      : extras.collection,
    copies: extras.copies
      ? new Uint8Array(extras.copies.words.buffer, extras.copies.words.byteOffset, extras.copies.words.byteLength)
      : null,
    predicted: bytesOf(extras.predicted),
    referenceFeatures: bytesOf(extras.referenceFeatures),
    extractor: extras.extractorFiles,
  });
  const safe = record.manifest.shard.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'shard';
  // A file with the base network inside says so in its name (the two exports of one model would otherwise collide).
  const base = extras.extractorFiles ? `+${extras.extractor.name}` : '';
  return { file, name: `${safe}.${record.manifest.head}${base}.simage-model.zip` };
}

/** What the page shows of a stored model. */
export function summaryOf(record: StoredModel, trained: boolean, backend: BackendName | null): ModelSummary {
  const m = record.manifest;
  return {
    head: m.head,
    layer: m.layer,
    target: m.target,
    featureModelId: m.featureModelId,
    references: m.references.length,
    k: m.k,
    backend,
    imported: record.imported,
    history: record.history,
    evaluation: record.evaluation,
    timingsMs: record.timingsMs,
    trained,
    selection: m.selection ?? null,
    tagger: record.tagger ?? DEFAULT_TAGGER,
    labelQueries: m.head === 'embedding' && m.target === 'svd' && !!record.labelSpace,
    quality: record.quality ?? [],
    design: describeNet(m),
  };
}

/** The net in one line, as the report's `net.design` names it: its features, layers and loss. */
export function describeNet(
  m: Pick<ModelManifest, 'head' | 'layer' | 'featureModelId' | 'featureDim' | 'targetDim' | 'training' | 'references'>,
): string {
  const t = m.training.settings as Partial<TrainSettings>;
  const features = `${m.featureModelId.split('@')[0]} ${m.layer} (${m.featureDim}-d)${t.standardise ? ', standardised' : ''}`;
  if (m.head === 'sets') return `${features} → dropout 0.5 → dense ${m.references.length} sigmoid (the 2017 'sets' head)`;
  const hidden = Array.from({ length: t.depth ?? 1 }, () => `dense ${t.hidden ?? '?'} ReLU → dropout ${t.dropout ?? '?'}`).join(' → ');
  return `${features} → dropout ${t.dropout ?? '?'} → ${hidden} → dense ${m.targetDim}, ${t.loss === 'listwise' ? 'cosine + listwise' : 'cosine'} loss`;
}
