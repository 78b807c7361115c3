// Turns a shard's cached records into the retrieval task and training data. Pure.
// References are the training images of the label embedding that have features (the 2017 net's R outputs);
// validation queries are the labelled validation images that have features.
import { buildLabelMatrix } from '../embedding/run';
import { embeddingTargets, type TargetSpace, type TrainData } from './heads';

export interface TaskImage {
  imageId: string;
  hash: string;
  split: string;
  labels: { labelName: string; confidence: number }[];
}

export interface TaskEmbedding {
  imageIds: string[];
  trainIndex: Int32Array;
  similar: Int32Array;
  k: number;
  svd: Float32Array;
  components: number;
  layout: Float32Array;
}

export interface AssembledTask {
  data: TrainData;
  refIds: string[];
  queryIds: string[];
  vocabulary: string[];
  /** Raw label-embedding vectors of the references (what references.bin holds, before target scaling). */
  refVectors: Float32Array;
}

export function assembleTask(
  images: TaskImage[],
  emb: TaskEmbedding,
  features: Map<string, Float32Array>,
  dim: number,
  target: TargetSpace,
): AssembledTask {
  const byId = new Map(images.map((im) => [im.imageId, im]));
  const refRowsInEmb: number[] = [];
  const refPosOfRow = new Map<number, number>();
  for (const row of emb.trainIndex) {
    const im = byId.get(emb.imageIds[row]);
    if (!im || !features.has(im.hash)) continue;
    refPosOfRow.set(row, refRowsInEmb.length);
    refRowsInEmb.push(row);
  }
  const r = refRowsInEmb.length;
  const trainX = new Float32Array(r * dim);
  refRowsInEmb.forEach((row, j) => trainX.set(features.get(byId.get(emb.imageIds[row])!.hash)!, j * dim));
  // Similar sets, as reference positions (-1 where a similar image has no features).
  const setOfRow = new Map<number, number>();
  emb.trainIndex.forEach((row, j) => setOfRow.set(row, j));
  const sets = new Int32Array(r * emb.k).fill(-1);
  refRowsInEmb.forEach((row, j) => {
    const s = setOfRow.get(row)!;
    for (let t = 0; t < emb.k; t++) sets[j * emb.k + t] = refPosOfRow.get(emb.similar[s * emb.k + t]) ?? -1;
  });
  const vdim = target === 'svd' ? emb.components : 2;
  const source = target === 'svd' ? emb.svd : emb.layout;
  const refVectors = new Float32Array(r * vdim);
  refRowsInEmb.forEach((row, j) => refVectors.set(source.subarray(row * vdim, (row + 1) * vdim), j * vdim));
  const queries = images.filter((im) => im.split === 'validation' && im.labels.some((l) => l.confidence > 0) && features.has(im.hash));
  const valX = new Float32Array(queries.length * dim);
  queries.forEach((im, q) => valX.set(features.get(im.hash)!, q * dim));
  // One label matrix over references then queries.
  const refImages = refRowsInEmb.map((row) => byId.get(emb.imageIds[row])!);
  const both = [...refImages, ...queries];
  const { matrix: labels, vocabulary } = buildLabelMatrix({
    imageIds: both.map((im) => im.imageId),
    labels: both.map((im) => im.labels),
    train: [],
  });
  const data: TrainData = {
    dim,
    trainX,
    sets,
    setK: emb.k,
    targets: embeddingTargets(refVectors, vdim, target),
    targetDim: vdim,
    valX,
    task: {
      labels,
      refRows: Int32Array.from({ length: r }, (_, i) => i),
      queryRows: Int32Array.from({ length: queries.length }, (_, i) => r + i),
    },
  };
  return { data, refIds: refImages.map((im) => im.imageId), queryIds: queries.map((im) => im.imageId), vocabulary, refVectors };
}
