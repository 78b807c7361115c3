// Time told before it is spent: the probe's image, durations as a person reads them, the estimate line, and the
// session's probe (each model timed once per machine and kept; a run stops a probe in flight).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { get } from 'svelte/store';
import { durationText, estimateLine, featureTime, probeImage, probeKey, type SpeedProbe } from '../../src/lib/features/estimate';
import { fakeWorld, type FakeWorld } from './session-fakes';

const URL_SOURCE = { kind: 'url' as const, url: 'http://localhost/shards/fake/' };

describe('the estimate', () => {
  it('reads as a person would say it', () => {
    expect(durationText(20_000)).toBe('under a minute');
    expect(durationText(5.4 * 60_000)).toBe('about 5 min');
    expect(durationText(80 * 60_000)).toBe('about 80 min');
    expect(durationText(100 * 60_000)).toBe('about 1.5 h');
    expect(durationText(13.4 * 3_600_000)).toBe('about 13 h');
  });

  it('names the chosen model first, Inception as the 2017 one, and nothing before a probe', () => {
    const probe: SpeedProbe = { key: 'k', msPerImage: { 'inception-v3': 650, 'mobilenet-v2': 120 }, backend: 'wasm' };
    expect(featureTime(506, probe, 'inception-v3')).toBeCloseTo(506 * 650);
    expect(estimateLine(506, probe, 'inception-v3')).toBe('about 5 min with Inception v3 (as in 2017), about 1 min with MobileNetV2');
    expect(estimateLine(506, probe, 'mobilenet-v2')).toBe('about 1 min with MobileNetV2, about 5 min with Inception v3 (as in 2017)');
    expect(estimateLine(506, null, 'inception-v3')).toBeNull();
    expect(featureTime(506, { ...probe, msPerImage: {} }, 'inception-v3')).toBeNull();
    expect(probeKey('auto', 0, 2, 'Chromium')).not.toBe(probeKey('wasm', 0, 2, 'Chromium'));
  });

  it('makes a valid 24-bit BMP of the asked size, the same for the same seed', () => {
    const a = new DataView(probeImage(320, 240, 3));
    expect(String.fromCharCode(a.getUint8(0), a.getUint8(1))).toBe('BM');
    expect(a.getUint32(2, true)).toBe(a.byteLength);
    expect(a.getInt32(18, true)).toBe(320);
    expect(a.getInt32(22, true)).toBe(240);
    expect(a.getUint16(28, true)).toBe(24);
    expect(a.byteLength).toBe(54 + 320 * 3 * 240);
    expect(new Uint8Array(probeImage(320, 240, 3))).toEqual(new Uint8Array(a.buffer));
    expect(new Uint8Array(probeImage(320, 240, 4))).not.toEqual(new Uint8Array(a.buffer));
  });
});

describe('the speed probe', () => {
  let world: FakeWorld;
  afterEach(() => {
    for (const w of Object.values(world.env.workers)) w.terminate();
  });

  it('times each model once (a warm-up, then the timed images), keeps it, and the next visit knows at once', async () => {
    world = fakeWorld(4);
    world.session.init();
    await world.session.featureSpeed.start();
    expect(world.calls).toEqual(['embed inception-v3 x1', 'embed inception-v3 x4', 'embed mobilenet-v2 x1', 'embed mobilenet-v2 x4']);
    const probe = get(world.session.featureSpeed.state).probe!;
    expect(probe.msPerImage).toEqual({ 'inception-v3': 200, 'mobilenet-v2': 50 });
    expect(get(world.session.featureSpeed.state).probing).toBe(false);

    const next = fakeWorld(4);
    next.storage.set('simage.featureSpeed', world.storage.get('simage.featureSpeed')!);
    next.session.init();
    await next.session.featureSpeed.start();
    expect(next.calls).toEqual([]);
    expect(get(next.session.featureSpeed.state).probe).toEqual(probe);
    // Another backend choice is another machine as far as speed goes: timed again.
    next.session.settings.update((s) => ({ ...s, backend: 'webgl' }));
    await next.session.featureSpeed.start();
    expect(next.calls).toHaveLength(4);
    for (const w of Object.values(next.env.workers)) w.terminate();
  });

  it("a finished run's own rate replaces the probe's for its model, once the run is long enough to say", async () => {
    world = fakeWorld(4);
    world.session.init();
    await world.session.featureSpeed.start();
    const speed = world.session.featureSpeed;
    speed.learn('inception-v3', 20, 20 * 900); // too few images: the probe's figure stays
    expect(get(speed.state).probe!.msPerImage['inception-v3']).toBe(200);
    speed.learn('inception-v3', 506, 506 * 390);
    const probe = get(speed.state).probe!;
    expect(probe.msPerImage).toEqual({ 'inception-v3': 390, 'mobilenet-v2': 50 });
    expect(probe.measuredOn).toEqual({ 'inception-v3': 506 });
    expect(estimateLine(506, probe, 'inception-v3')).toBe('about 3 min with Inception v3 (as in 2017), under a minute with MobileNetV2');
    // Kept for the next visit.
    expect(JSON.parse(world.storage.get('simage.featureSpeed')!).msPerImage['inception-v3']).toBe(390);
  });

  it('a run stops a probe in flight before it starts (the worker holds one model at a time)', async () => {
    world = fakeWorld(4);
    world.session.init();
    world.hold.add('probe');
    void world.session.featureSpeed.start();
    await new Promise((r) => setTimeout(r, 10));
    expect(get(world.session.featureSpeed.state).probing).toBe(true);
    await world.session.runShard(URL_SOURCE);
    expect(world.calls.slice(0, 2)).toEqual(['embed inception-v3 x1', 'load']);
    expect(get(world.session.featureSpeed.state)).toEqual({ probe: null, probing: false });
    expect(world.storage.has('simage.featureSpeed')).toBe(false);
  });

  it('another call of the features worker stops a probe, and no probe starts beside one', async () => {
    world = fakeWorld(4);
    world.session.init();
    world.hold.add('probe');
    void world.session.featureSpeed.start();
    await new Promise((r) => setTimeout(r, 10));
    const embedded = world.session.embedImages([new ArrayBuffer(8)], 'wasm', 'mobilenet-v2');
    // The probe is cancelled; the embed then runs (held too, until it is let go).
    await new Promise((r) => setTimeout(r, 20));
    expect(get(world.session.featureSpeed.state).probing).toBe(false);
    await world.session.featureSpeed.start(); // the embed is in flight: no probe now
    world.hold.delete('probe');
    expect(world.calls).toEqual(['embed inception-v3 x1', 'embed mobilenet-v2 x1']);
    await embedded;
  });

  it('waits for the page to open what its address names, and starts no probe once a collection is on show', async () => {
    world = fakeWorld(4, `?shard=${encodeURIComponent(URL_SOURCE.url)}`);
    world.session.init();
    const restoring = world.session.restore();
    const probing = world.session.featureSpeed.start();
    await restoring;
    await probing;
    expect(get(world.session.shard)).not.toBeNull();
    expect(world.calls.filter((c) => c.startsWith('embed '))).toEqual([]);
  });
});
