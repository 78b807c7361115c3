// Chromium killed (SIGKILL, the browser process, not a page close) under `npm run pipeline`, as a person or a
// cluster's out-of-memory killer would: the CLI ends within seconds with exit 3 and one line, the next run resumes
// from the profile, `--retries` reopens the browser by itself, and what the run had reported stored is there,
// whole, each time (src/lib/store/db.ts, Durability).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from '../fixtures/make-shard';
import { makeSyntheticShard } from '../../bench/synthetic-shard';
import type { DrivenReport } from '../../scripts/pipeline';

/** Chromium's browser process for a profile (read from /proc: no procps needed): the one given the profile folder
 *  without a `--type` (renderers, the GPU process and utilities have one, and go when it goes). */
function browserPid(profile: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile
    }
    if (args.includes(`--user-data-dir=${profile}`) && !args.some((a) => a.startsWith('--type='))) return Number(entry);
  }
  throw new Error(`no Chromium runs on ${profile}`);
}

interface Killing {
  /** Kill Chromium once a progress line matches this (in order, one kill each). */
  at: RegExp[];
}

/** Runs the CLI, kills the profile's Chromium as each pattern first shows in its progress, and says how it ended. */
function pipeline(args: string[], profile: string, { at }: Killing) {
  return new Promise<{ code: number; stdout: string; stderr: string; killedAt: string[]; exitedAfterKillMs: number | null }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'pipeline.ts'), ...args, '--profile', profile], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    const killedAt: string[] = [];
    let lastKill: number | null = null;
    const waiting = [...at];
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      for (const line of String(d).split('\n')) {
        if (!waiting.length || !waiting[0].test(line)) continue;
        waiting.shift();
        killedAt.push(line);
        lastKill = Date.now();
        process.kill(browserPid(profile), 'SIGKILL');
      }
    });
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout, stderr, killedAt, exitedAfterKillMs: lastKill === null ? null : Date.now() - lastKill }),
    );
  });
}

describe('the browser killed under the CLI', () => {
  it('ends the run with exit 3 and one line, and the next runs resume from what was stored, with --retries restarting by themselves', async () => {
    // Stages long enough to be caught running: 800 images over 30 contents (t-SNE of 800, a net on 700).
    const shard = makeSyntheticShard({ images: 800, distinct: 30, dir: mkdtempSync(join(tmpdir(), 'simage-crash-shard-')) });
    const profile = mkdtempSync(join(tmpdir(), 'simage-crash-profile-'));
    // 2,000 t-SNE iterations: an embedding long enough (seconds) for the driver's half-second polls to see it run.
    const args = [shard.dir, '--backend', 'wasm', '--batch', '4', '--iterations', '2000'];

    // Killed while features run: the CLI ends at once (not at its hour-long timeout) with exit 3 and one line.
    const first = await pipeline(args, profile, { at: [/features ([1-9]\d*)\/\d+/] });
    expect(first.killedAt, first.stderr).toHaveLength(1);
    expect(first.code, first.stderr).toBe(3);
    expect(first.exitedAfterKillMs).toBeLessThan(10_000);
    expect(first.stdout).toBe('');
    const said = first.stderr.trim().split('\n').at(-1)!;
    expect(said).toMatch(new RegExp(`^Chromium died during features: .*run again with --profile ${profile} to resume from the cache`));
    const reported = Number(/features (\d+)\//.exec(first.killedAt[0])![1]);
    console.info(
      `[crash] killed at "${first.killedAt[0].trim()}"; exit ${first.code} ${first.exitedAfterKillMs} ms after the kill: ${said}`,
    );

    // Run again on the profile, killed during the embedding and during training: --retries 2 reopens the browser
    // each time; the report lists both restarts with what the profile held when the browser opened again.
    const second = await pipeline([...args, '--retries', '2'], profile, { at: [/· embedding (running|\d)/, /· train (running|\d)/] });
    expect(second.killedAt, second.stderr).toHaveLength(2);
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout) as DrivenReport;
    console.info(
      `[crash] --retries 2: killed at ${second.killedAt.map((l) => `"${l.trim()}"`).join(', ')}; restarts ${JSON.stringify(report.restarts)}`,
    );
    expect(report.restarts.map((r) => [r.died, r.stage])).toEqual([
      ['browser', 'embedding'],
      ['browser', 'train'],
    ]);
    // Every feature stored before the first kill was there for the second run (which computed only the rest)...
    expect(report.restarts[0].stored.features).toBeGreaterThanOrEqual(reported);
    expect(report.restarts[0].stored.features).toBe(30);
    // ...the embedding stored whole before training began survived the kill during training and was reused...
    expect(report.restarts[1].stored.embeddings).toBeGreaterThanOrEqual(1);
    expect(report.embedding?.cached).toBe(true);
    // ...and the last attempt computed no feature again.
    expect(report.features.computed).toBe(0);
    expect(report.features.cached).toBe(800);
    expect(report.cache_check).toEqual({ features: 30, malformed: 0 });
    expect(report.net?.best_epoch).toBeGreaterThan(0);
  }, 600_000);
});
