// docs/SCALE.md's Kubernetes manifest and the Containerfile: valid YAML, complete, and what they run is the CLI with
// options it accepts. (Nothing here runs a cluster: none was available.)
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseArgs } from '../../scripts/pipeline';
import { ROOT } from '../fixtures/make-shard';

type Container = { name: string; image: string; command: string[]; args: string[]; volumeMounts: { name: string; mountPath: string }[] };
type Job = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: { spec: { restartPolicy: string; containers: Container[]; volumes: { name: string }[] } };
  };
};

const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'simage-parts.yaml'), 'utf8'));
const jobs = docs.map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Job;
});
const CLI = ['npm', 'run', 'pipeline', '--'];

describe('the Kubernetes manifest (deploy/simage-parts.yaml)', () => {
  it('is two valid Jobs whose pods mount only volumes they declare', () => {
    expect(jobs.map((j) => [j.apiVersion, j.kind, j.metadata.name])).toEqual([
      ['batch/v1', 'Job', 'simage-parts'],
      ['batch/v1', 'Job', 'simage-merge'],
    ]);
    for (const job of jobs) {
      const pod = job.spec.template.spec;
      expect(pod.restartPolicy).toBe('Never');
      const declared = new Set(pod.volumes.map((v) => v.name));
      for (const c of pod.containers)
        for (const m of c.volumeMounts) expect(declared.has(m.name), `${job.metadata.name}: ${m.name}`).toBe(true);
    }
  });

  it('runs one part per index with the CLI, computing features only and exporting the part', () => {
    const parts = jobs[0];
    expect(parts.spec.completionMode).toBe('Indexed');
    expect(parts.spec.completions).toBeGreaterThan(0);
    const [c] = parts.spec.template.spec.containers;
    expect(c.command).toEqual(CLI);
    const args = c.args.map((a) => a.replaceAll('$(JOB_COMPLETION_INDEX)', '3'));
    const opts = parseArgs(args);
    expect(opts).toMatchObject({
      shard: '/data/parts/part-3',
      featuresOnly: true,
      model: 'mobilenet-v2',
      exportProject: '/data/out/part-3.simage',
      retries: 2, // a dead browser is reopened on the pod's own profile before the pod fails
    });
  });

  it('merges every part file with --import-project, then runs the whole collection', () => {
    const [c] = jobs[1].spec.template.spec.containers;
    expect(c.command).toEqual(['sh', '-c']);
    const script = c.args.join(' ');
    expect(script).toContain('for f in /data/out/part-*.simage; do set -- "$@" --import-project "$f"; done');
    const run = /exec npm run pipeline -- (.*)$/s.exec(script)?.[1];
    expect(run).toBeTruthy();
    const words = run!
      .replace('"$@"', '--import-project /data/out/part-0.simage --import-project /data/out/part-1.simage')
      .trim()
      .split(/\s+/);
    const opts = parseArgs(words);
    expect(opts.shard).toBe('/data/collection');
    expect(opts.importProject).toEqual(['/data/out/part-0.simage', '/data/out/part-1.simage']);
    expect(opts.retries).toBe(2);
    expect(opts.featuresOnly).toBe(false);
    // It starts once every part's report is there: as many as the parts Job completes.
    const init = (jobs[1].spec.template.spec as unknown as { initContainers: (Container & { env: { name: string; value: string }[] })[] })
      .initContainers[0];
    expect(init.args.join(' ')).toContain('ls /data/out/part-*.json');
    expect(Number(init.env.find((e) => e.name === 'PARTS')!.value)).toBe(jobs[0].spec.completions);
  });
});

describe('the Containerfile', () => {
  const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8');
  it('builds on Debian with its Chromium, installs with npm ci, and its entrypoint is the CLI', () => {
    expect(text).toMatch(/^FROM docker\.io\/library\/debian:\S+$/m);
    expect(text).toMatch(/apt-get install .*\bchromium\b.*\bnodejs\b/);
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toMatch(/^RUN npm run build$/m);
    const entry = /^ENTRYPOINT (.*)$/m.exec(text)?.[1];
    expect(JSON.parse(entry!)).toEqual(CLI);
    // Everything the install and the build read is copied in before they run.
    expect(text.indexOf('COPY --chown=simage:simage scripts ./scripts')).toBeLessThan(text.indexOf('RUN npm ci'));
    // The host's installed and built files never overwrite the image's own.
    for (const ignore of ['.containerignore', '.dockerignore']) {
      const lines = readFileSync(join(ROOT, ignore), 'utf8').split('\n');
      expect(lines).toEqual(expect.arrayContaining(['node_modules', 'dist', 'public/models']));
    }
  });
});
