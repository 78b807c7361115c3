// npm run query -- MODEL IMAGE... [--top N] [--labels] [--json]: a model file exported by simage answers images in
// Node, with no browser (src/lib/model/node.ts: the page's own query path). stdout carries the answer only (JSON with
// --json); progress and errors go to stderr, one sentence each. Exit 0 when every image was answered, 1 when the
// model or any image could not be (the others are still answered), 2 for a usage error.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { OpenedModel } from '../src/lib/model/node';

const USAGE = `usage: npm run query -- MODEL IMAGE... [--top N] [--labels] [--json] [--plus LABEL]... [--minus LABEL]... [--held-out]

  MODEL        a model file exported by simage (Export model, or npm run pipeline -- ... --export-model FILE)
  IMAGE        JPEG, PNG or WebP files to answer
  --top N      how many images to return (default: the model's k)
  --labels     also print each image's predicted labels (always in --json)
  --json       print one JSON object: {"model": ..., "queries": [{"file", "neighbours": [{id, score, by}], "labels": [{label, name, score}]}]}
  --plus L     a label word that pulls the query (repeatable); --minus L pushes it away
  --held-out   also return labelled validation and test images
  --version    print simage's version
  --help       print this`;

interface Answer {
  file: string;
  neighbours: { id: string; score: number; by: string }[];
  labels: { label: string; name: string; score: number }[];
  ms?: number;
  error?: string;
}

const say = (line: string) => void process.stderr.write(`${line}\n`);

function version(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        top: { type: 'string' },
        labels: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        plus: { type: 'string', multiple: true },
        minus: { type: 'string', multiple: true },
        'held-out': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-{1,2}[^'\s]+)/.exec(e.message)?.[1];
    say(
      `${e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `Unknown option ${option}.` : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option ? `${option} needs a value.` : e.message}\n${USAGE}`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return (process.stdout.write(`${USAGE}\n`), 0);
  if (values.version) return (process.stdout.write(`${version()}\n`), 0);
  const [modelPath, ...images] = positionals;
  const top = values.top === undefined ? undefined : Number(values.top);
  const problem = !modelPath
    ? 'Name a model file and at least one image.'
    : images.length === 0
      ? `Name at least one image for ${modelPath} to answer.`
      : top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= 10_000)
        ? '--top takes a whole number from 1 to 10,000.'
        : null;
  if (problem) {
    say(`${problem}\n${USAGE}`);
    return 2;
  }
  let model: OpenedModel;
  const t0 = performance.now();
  try {
    // Loaded only now: --help, --version and a usage error answer without starting TensorFlow.js.
    const { openModel } = await import('../src/lib/model/node');
    model = await openModel(new Uint8Array(readFileSync(modelPath)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    say(code === 'ENOENT' || code === 'EISDIR' ? `The model file ${modelPath} cannot be read (${code}).` : (err as Error).message);
    return 1;
  }
  const m = model.manifest;
  say(
    `model: ${m.shard.name}, ${m.head} head on ${m.extractor!.modelId} ${m.extractor!.layerName}, ${m.references.length} references (opened in ${Math.round(performance.now() - t0)} ms)`,
  );
  const answers: Answer[] = [];
  for (const [i, file] of images.entries()) {
    const t = performance.now();
    try {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch (err) {
        throw new Error(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, { cause: err });
      }
      const r = await model.query(bytes, { top, plus: values.plus, minus: values.minus, includeHeldOut: values['held-out'] });
      answers.push({ file, ...r, ms: Math.round(performance.now() - t) });
      say(`query ${i + 1}/${images.length}: ${file} (${Math.round(performance.now() - t)} ms)`);
    } catch (err) {
      const message = (err as Error).message.replace(/^The image cannot be read/, `${file} cannot be read`);
      answers.push({ file, neighbours: [], labels: [], error: message });
      say(message);
    }
  }
  if (values.json) {
    const model = {
      file: modelPath,
      shard: m.shard.name,
      head: m.head,
      extractor: m.extractor!.modelId,
      layer: m.extractor!.layerName,
      references: m.references.length,
    };
    process.stdout.write(`${JSON.stringify({ model, queries: answers })}\n`);
  } else {
    for (const a of answers) {
      process.stdout.write(`${a.file}\n`);
      if (a.error) process.stdout.write(`  error: ${a.error}\n`);
      for (const [r, n] of a.neighbours.entries())
        process.stdout.write(
          `  ${String(r + 1).padStart(3)}. ${n.id}  ${n.score.toFixed(4)}${n.by === 'prediction' ? '  (placed by prediction)' : ''}\n`,
        );
      if (values.labels) process.stdout.write(`  labels: ${a.labels.map((l) => `${l.name} ${l.score.toFixed(2)}`).join(', ') || 'none'}\n`);
    }
  }
  model.dispose();
  return answers.some((a) => a.error) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
