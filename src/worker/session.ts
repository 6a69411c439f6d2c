/**
 * One training session in the worker: the loaded data, the run (teacher phase, then
 * student phase) and its cadence. The loop enqueues a step, yields to the event loop so
 * commands (pause, new weights) get through between any two steps, and reads the metrics
 * of many steps at once; relation maps are read at most every MAPS_INTERVAL_MS.
 */
import { type BackendName, describeActiveBackend } from '../engine/backend';
import { decodeCheckpoint, type EncodedCheckpoint, type Phase } from '../engine/checkpoint';
import { effectiveLayerPairs, type LossConfig, patchCount, type RunConfig } from '../engine/config';
import type { Dataset } from '../engine/data/dataset';
import { DeviceImageSet } from '../engine/data/gpu-data';
import { randomSampleIndices } from '../engine/losses';
import { analyzeImages, probeRelationMaps } from '../engine/probe';
import { makeRng } from '../engine/random';
import * as tf from '../engine/tf';
import { baselineSpecs, type MetricRow, Trainer } from '../engine/trainer';
import { estimateTrainingBytes, type Vit } from '../engine/vit';
import { dataSourceKey, loadDataSource } from './data-source';
import { readGpuCounters } from './gpu-counters';
import type {
  Command,
  DataSource,
  ImageAnalysis,
  MapView,
  Prediction,
  RunStatusName,
  WorkerEvent,
} from './protocol';
import { clearSavedRun, loadSavedRun, type SavedRun, saveRun } from './saved-run';

/** Fewest steps between metric reads: keeps device readbacks under 0.2 per step. */
const MIN_STEPS_PER_READ = 10;
/** Metrics are read at most this often, so the page updates a few times a second. */
const READ_INTERVAL_MS = 250;
const PROGRESS_INTERVAL_MS = 150;
const MAPS_INTERVAL_MS = 1000;
const MIN_STEPS_PER_MAPS = 50;
const CHECKPOINT_INTERVAL_MS = 3 * 60 * 1000;
const PROBE_BATCH = 8;

type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

interface Run {
  runId: number;
  config: RunConfig;
  phase: Phase;
  trainer: Trainer;
  /** The trained teacher's checkpoint once the student phase runs (kept for saving). */
  teacherCheckpoint: EncodedCheckpoint | null;
  status: RunStatusName;
  /** Steps left before pausing by itself (run.step), or null to run to the end. */
  stepBudget: number | null;
  reason: string | null;
  looping: boolean;
  view: MapView;
  lastRead: { time: number; step: number };
  lastProgressAt: number;
  lastMaps: { time: number; step: number };
  lastCheckpointAt: number;
  /** Test hook: the next step runs at an infinite learning rate. */
  poison: boolean;
}

/** Yields to the worker's event loop without setTimeout's 4 ms clamp. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

export class Session {
  private readonly post: Post;
  private dataset: Dataset | null = null;
  private dataKey: string | null = null;
  private run: Run | null = null;
  /** Set once the GPU device is lost: nothing on this backend can run any more. */
  private deviceGone = false;
  private probe: { set: DeviceImageSet; images: tf.Tensor4D; rgb: Uint8Array[]; labels: number[] } | null =
    null;

  constructor(post: Post) {
    this.post = post;
  }

  /** Runs one command and answers it (an event of its own, or ok). */
  async handle(cmd: Command): Promise<void> {
    switch (cmd.type) {
      case 'backend.init':
        throw new Error('backend.init is handled by the worker entry');
      case 'data.load':
        await this.loadData(cmd.source);
        this.post({
          type: 'data.ready',
          requestId: cmd.requestId,
          name: this.dataset!.name,
          classNames: this.dataset!.classNames,
          trainCount: this.dataset!.train.count,
          testCount: this.dataset!.test.count,
        });
        return;
      case 'run.start':
        await this.start(cmd);
        return this.ok(cmd.requestId);
      case 'run.pause': {
        const run = this.requirePausable('pause');
        run.status = 'paused';
        run.reason = null;
        // No further step is enqueued from now on; say so at once. The loop then reads the
        // pending metrics and saves a checkpoint.
        this.postStatus(run);
        return this.ok(cmd.requestId);
      }
      case 'run.resume': {
        const run = this.requirePausable('resume');
        run.stepBudget = null;
        this.continueRun(run);
        return this.ok(cmd.requestId);
      }
      case 'run.step': {
        const run = this.requirePausable('step');
        run.stepBudget = cmd.count;
        this.continueRun(run);
        return this.ok(cmd.requestId);
      }
      case 'run.reset':
        this.disposeRun();
        return this.ok(cmd.requestId);
      case 'run.setLoss': {
        const run = this.requireRun('change loss weights');
        run.config = { ...run.config, loss: { ...run.config.loss, ...cmd.loss } };
        if (run.phase === 'student') run.trainer.setLoss('student', cmd.loss as Partial<LossConfig>);
        return this.ok(cmd.requestId);
      }
      case 'run.evaluate': {
        const run = this.requireRun('evaluate');
        const result = await run.trainer.evaluate();
        this.post({ type: 'run.eval', runId: run.runId, phase: run.phase, result });
        return this.ok(cmd.requestId);
      }
      case 'maps.view': {
        const run = this.requireRun('show relation maps');
        run.view = cmd.view;
        await this.postMaps(run);
        return this.ok(cmd.requestId);
      }
      case 'images.analyze':
        return this.analyze(cmd.requestId, cmd.images, cmd.pair);
      case 'model.export': {
        const run = this.requireRun('export');
        const ckpt = await run.trainer.checkpoint();
        this.post({ type: 'model.exported', requestId: cmd.requestId, ...ckpt }, [ckpt.weights]);
        return;
      }
      case 'saved.peek': {
        const saved = await loadSavedRun();
        this.post({
          type: 'saved.info',
          requestId: cmd.requestId,
          saved: saved
            ? {
                phase: saved.phase,
                step: saved.step,
                totalSteps: saved.totalSteps,
                savedAt: saved.savedAt,
                config: saved.config,
              }
            : null,
        });
        return;
      }
      case 'saved.clear':
        await clearSavedRun();
        return this.ok(cmd.requestId);
      case 'debug.counters':
        this.post({
          type: 'debug.counters',
          requestId: cmd.requestId,
          counters: readGpuCounters(),
          tensors: tf.memory().numTensors,
          step: this.run?.trainer.step ?? 0,
        });
        return;
      case 'debug.fault': {
        const run = this.requireRun('inject a fault');
        if (cmd.fault === 'nan') run.poison = true;
        else this.destroyDevice();
        return this.ok(cmd.requestId);
      }
      default: {
        const unhandled: never = cmd;
        throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private ok(requestId: number): void {
    this.post({ type: 'ok', requestId });
  }

  private requireRun(action: string): Run {
    if (!this.run) throw new Error(`Nothing to ${action}: no run has started.`);
    return this.run;
  }

  private requirePausable(action: string): Run {
    const run = this.requireRun(action);
    if (run.status === 'done') throw new Error(`Cannot ${action}: the run is done. Reset to start another.`);
    return run;
  }

  private async loadData(source: DataSource): Promise<void> {
    const key = dataSourceKey(source);
    if (this.dataKey === key && this.dataset) return;
    this.disposeRun();
    this.dataset = await loadDataSource(source);
    this.dataKey = key;
  }

  private async start(cmd: Extract<Command, { type: 'run.start' }>): Promise<void> {
    if (!this.dataset) throw new Error('Load data before starting a run.');
    this.disposeRun();
    const dataset = this.dataset;
    let config = cmd.config;
    const classes = dataset.classNames.length;
    config = {
      ...config,
      teacher: { ...config.teacher, numClasses: classes },
      student: { ...config.student, numClasses: classes },
    };
    this.checkMemory(config, dataset);

    let phase: Phase = 'teacher';
    let trainer: Trainer;
    let teacherCheckpoint: EncodedCheckpoint | null = null;
    const saved = cmd.resumeSaved ? await loadSavedRun() : null;
    if (cmd.resumeSaved && !saved) throw new Error('There is no saved run in this browser to continue.');
    if (saved) {
      config = saved.config;
      phase = saved.phase;
      const decoded = await decodeCheckpoint(saved.manifest, saved.weights);
      let teacher: Vit | undefined;
      if (phase === 'student') {
        teacher = decoded.models.get('teacher')?.model;
        teacherCheckpoint = saved.teacher;
      }
      trainer = new Trainer({
        config,
        phase,
        dataset,
        teacher,
        resume: decoded,
        baselines: baselineSpecs(config),
      });
    } else if (cmd.teacher.kind === 'checkpoint') {
      const decoded = await decodeCheckpoint(cmd.teacher.manifest, cmd.teacher.weights, false);
      const teacher = decoded.models.get('teacher')?.model;
      if (!teacher) throw new Error('The teacher file holds no teacher model.');
      for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
      config = { ...config, teacher: teacher.config };
      phase = 'student';
      teacherCheckpoint = { manifest: cmd.teacher.manifest, weights: cmd.teacher.weights };
      trainer = new Trainer({ config, phase, dataset, teacher, baselines: baselineSpecs(config) });
    } else {
      trainer = new Trainer({ config, phase, dataset });
    }
    const now = performance.now();
    const run: Run = {
      runId: cmd.runId,
      config,
      phase,
      trainer,
      teacherCheckpoint,
      status: 'paused',
      stepBudget: null,
      reason: null,
      looping: false,
      view: { pair: 0, image: 0, position: 0 },
      lastRead: { time: now, step: trainer.step },
      lastProgressAt: 0,
      lastMaps: { time: 0, step: -Infinity },
      lastCheckpointAt: now,
      poison: false,
    };
    this.run = run;
    this.setupProbe(dataset, trainer);
    this.postStatus(run);
    this.postProgress(run, true);
    void this.postMaps(run).catch(() => {});
    if (!cmd.paused) this.continueRun(run);
  }

  /** Refuses configs that cannot fit, before any allocation, saying what to shrink. */
  private checkMemory(config: RunConfig, dataset: Dataset): void {
    const backend = describeActiveBackend().name;
    const budgets: Record<BackendName, number> = {
      webgpu: 4 * 2 ** 30,
      webgl: 2 * 2 ** 30,
      wasm: 2 * 2 ** 30,
      cpu: 4 * 2 ** 30,
    };
    const batch = config.optim.batch;
    const data = (dataset.train.count + dataset.test.count) * dataset.train.imageSize ** 2 * 4;
    const need =
      Math.max(
        estimateTrainingBytes(config.teacher, batch),
        estimateTrainingBytes(config.student, batch) * 1.5,
      ) + data;
    let limit = budgets[backend];
    let largest = 0;
    if (backend === 'webgpu') {
      const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
      if (device) {
        const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
        const t = patchCount(config.teacher) + 1;
        largest = Math.max(
          batch * config.teacher.nHeads * t * t * 4,
          dataset.train.count * dataset.train.imageSize ** 2 * 4,
        );
        if (largest > maxBinding) {
          this.memoryFault(
            `This config needs a single GPU buffer of ${(largest / 2 ** 20).toFixed(0)} MB, more than this GPU allows ` +
              `(${(maxBinding / 2 ** 20).toFixed(0)} MB). Lower the batch size (now ${batch}) or use a smaller dataset.`,
          );
        }
        limit = Math.max(limit, maxBinding);
      }
    }
    if (need > limit) {
      this.memoryFault(
        `This config needs about ${(need / 2 ** 30).toFixed(1)} GB for training on ${backend}, more than the ` +
          `${(limit / 2 ** 30).toFixed(1)} GB it can count on. Lower the batch size (now ${batch}) or the models' width or depth.`,
      );
    }
  }

  private memoryFault(message: string): never {
    this.post({ type: 'run.fault', runId: -1, kind: 'memory', message, term: null });
    const err = new Error(message);
    err.name = 'MemoryLimitError';
    throw err;
  }

  private setupProbe(dataset: Dataset, trainer: Trainer): void {
    this.disposeProbe();
    const count = Math.min(PROBE_BATCH, dataset.test.count);
    const bytes = dataset.test.imageSize ** 2 * 3;
    const subset = {
      images: dataset.test.images.subarray(0, count * bytes),
      labels: dataset.test.labels.subarray(0, count),
      count,
      imageSize: dataset.test.imageSize,
    };
    const set = new DeviceImageSet(subset, trainer.normalization);
    const idx = tf.range(0, count, 1, 'int32') as tf.Tensor1D;
    const images = set.images(idx);
    idx.dispose();
    this.probe = {
      set,
      images,
      rgb: Array.from({ length: count }, (_, i) => subset.images.slice(i * bytes, (i + 1) * bytes)),
      labels: Array.from(subset.labels),
    };
  }

  private disposeProbe(): void {
    if (!this.probe) return;
    this.probe.images.dispose();
    this.probe.set.dispose();
    this.probe = null;
  }

  private disposeRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.status = 'idle';
    run.trainer.dispose(true);
    this.disposeProbe();
  }

  private continueRun(run: Run): void {
    run.status = 'training';
    run.reason = null;
    run.lastRead = { time: performance.now(), step: run.trainer.step };
    this.postStatus(run);
    if (!run.looping) void this.loop(run);
  }

  private postStatus(run: Run): void {
    this.post({
      type: 'run.status',
      runId: run.runId,
      status: run.status,
      phase: run.phase,
      step: run.trainer.step,
      totalSteps: run.trainer.totalSteps,
      reason: run.reason,
    });
  }

  private postProgress(run: Run, force = false): void {
    const now = performance.now();
    if (!force && now - run.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    const steps = run.trainer.step - run.lastRead.step;
    const seconds = (now - run.lastRead.time) / 1000;
    const stepsPerSecond = steps > 0 && seconds > 0 ? steps / seconds : 0;
    run.lastProgressAt = now;
    this.post({
      type: 'run.progress',
      runId: run.runId,
      phase: run.phase,
      step: run.trainer.step,
      totalSteps: run.trainer.totalSteps,
      epoch: run.trainer.epoch,
      imagesPerSecond: stepsPerSecond * run.config.optim.batch,
      etaSeconds:
        stepsPerSecond > 0 ? (run.trainer.totalSteps - run.trainer.step) / stepsPerSecond : Number.NaN,
    });
  }

  private async loop(run: Run): Promise<void> {
    run.looping = true;
    try {
      while (this.run === run && run.status === 'training') {
        const trainer = run.trainer;
        if (trainer.step >= trainer.totalSteps) {
          await this.flush(run);
          if (run.phase === 'teacher') await this.beginStudentPhase(run);
          else await this.finish(run);
          continue;
        }
        // The fault hook: one step at an absurd learning rate sends the weights to infinity.
        trainer.learningRateOverride = run.poison ? Number.POSITIVE_INFINITY : null;
        run.poison = false;
        trainer.trainStep();
        if (run.stepBudget !== null) run.stepBudget -= 1;
        const budgetDone = run.stepBudget === 0;
        const now = performance.now();
        const dueRead =
          trainer.pendingSteps >= MIN_STEPS_PER_READ && now - run.lastRead.time >= READ_INTERVAL_MS;
        this.postProgress(run, budgetDone);
        if (dueRead || budgetDone || trainer.step >= trainer.totalSteps) {
          await this.flush(run);
          if (this.run !== run) return;
        } else {
          await yieldToEvents();
        }
        if (budgetDone && run.status === 'training') {
          run.status = 'paused';
          run.stepBudget = null;
        }
        if (
          run.status === 'training' &&
          now - run.lastMaps.time >= MAPS_INTERVAL_MS &&
          trainer.step - run.lastMaps.step >= MIN_STEPS_PER_MAPS
        ) {
          await this.postMaps(run);
        }
        if (now - run.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) await this.saveCheckpoint(run);
      }
      if (this.run === run && run.status === 'paused') {
        await this.flush(run);
        this.postProgress(run, true);
        this.postStatus(run);
        await this.postMaps(run);
        await this.saveCheckpoint(run);
      }
    } catch (err) {
      // After a lost device every pending read fails; deviceLost() has told the page already.
      if (this.deviceGone || this.run !== run) return;
      const message = err instanceof Error ? err.message : String(err);
      run.status = 'paused';
      run.reason = `Training stopped: ${message}`;
      this.postStatus(run);
      this.post({
        type: 'error',
        requestId: null,
        name: err instanceof Error ? err.name : 'Error',
        message: run.reason,
        stack: err instanceof Error ? (err.stack ?? null) : null,
      });
    } finally {
      run.looping = false;
      // A resume that arrived while this loop was winding down (saving, drawing maps) found it
      // still running and started none: pick it up here.
      if (this.run === run && run.status === 'training' && !this.deviceGone) void this.loop(run);
    }
  }

  /** Reads pending metrics (one transfer), posts them, and pauses on a non-finite loss. */
  private async flush(run: Run): Promise<void> {
    const rows: MetricRow[] = await run.trainer.readMetrics();
    if (this.run !== run || !rows.length) return;
    this.post({ type: 'run.metrics', runId: run.runId, phase: run.phase, rows });
    const now = performance.now();
    run.lastRead = { time: now, step: run.trainer.step };
    for (const row of rows) {
      const bad = Object.entries(row.values).find(([, v]) => !Number.isFinite(v));
      if (bad) {
        const [term, value] = bad;
        run.status = 'paused';
        run.reason =
          `The ${term} loss became ${value} at step ${row.step}. Training paused: lower the learning rate ` +
          '(or the weight of that term) and reset.';
        this.post({ type: 'run.fault', runId: run.runId, kind: 'nan', message: run.reason, term });
        this.postStatus(run);
        return;
      }
    }
  }

  private async beginStudentPhase(run: Run): Promise<void> {
    const teacherTrainer = run.trainer;
    const result = await teacherTrainer.evaluate();
    this.post({ type: 'run.eval', runId: run.runId, phase: 'teacher', result });
    run.teacherCheckpoint = await teacherTrainer.checkpoint();
    const teacher = teacherTrainer.teacher;
    teacherTrainer.dispose(false);
    run.phase = 'student';
    run.trainer = new Trainer({
      config: run.config,
      phase: 'student',
      dataset: this.dataset!,
      teacher,
      baselines: baselineSpecs(run.config),
    });
    run.lastRead = { time: performance.now(), step: 0 };
    run.lastMaps = { time: 0, step: -Infinity };
    this.postStatus(run);
    await this.saveCheckpoint(run);
  }

  private async finish(run: Run): Promise<void> {
    const result = await run.trainer.evaluate();
    this.post({ type: 'run.eval', runId: run.runId, phase: run.phase, result });
    run.status = 'done';
    this.postProgress(run, true);
    this.postStatus(run);
    await this.postMaps(run);
    await this.saveCheckpoint(run);
  }

  private async saveCheckpoint(run: Run): Promise<void> {
    run.lastCheckpointAt = performance.now();
    const ckpt = await run.trainer.checkpoint();
    const saved: SavedRun = {
      savedAt: Date.now(),
      phase: run.phase,
      step: run.trainer.step,
      totalSteps: run.trainer.totalSteps,
      config: run.config,
      manifest: ckpt.manifest,
      weights: ckpt.weights,
      teacher: run.teacherCheckpoint,
    };
    await saveRun(saved);
    if (this.run === run)
      this.post({
        type: 'run.checkpointed',
        runId: run.runId,
        phase: run.phase,
        step: saved.step,
        where: 'indexeddb',
      });
  }

  /** Relation maps of the probe batch for the current view, read in one transfer. */
  private async postMaps(run: Run): Promise<void> {
    const probe = this.probe;
    if (!probe) return;
    const trainer = run.trainer;
    const pairs =
      run.phase === 'student'
        ? trainer.pairs
        : effectiveLayerPairs(run.config.loss, run.config.student, run.config.teacher);
    const pairIndex = Math.min(run.view.pair, pairs.length - 1);
    const pair = pairs[pairIndex]!;
    const n = patchCount(run.config.teacher);
    const b = probe.images.shape[0];
    const image = Math.min(run.view.image, b - 1);
    const position = Math.min(run.view.position, n - 1);
    const k = Math.min(run.config.loss.k, b * n, 192);
    // A fixed sample per run, so the K x K map changes only because the models do.
    const sampleIndices = randomSampleIndices(b * n, k, makeRng(run.config.seed, 'probe-sample'));
    const student = run.phase === 'student' ? (trainer.students[0]?.model ?? null) : null;
    const step = trainer.step;
    run.lastMaps = { time: performance.now(), step };
    const maps = await probeRelationMaps(trainer.teacher, student, probe.images, pair, {
      image,
      position,
      sampleIndices,
    });
    if (this.run !== run) return;
    const imageRgb = probe.rgb[image]!.slice();
    const transfer: Transferable[] = [
      maps.teacher.intra.buffer,
      maps.teacher.inter.buffer,
      maps.teacher.random.buffer,
      imageRgb.buffer,
    ];
    if (maps.student)
      transfer.push(maps.student.intra.buffer, maps.student.inter.buffer, maps.student.random.buffer);
    this.post(
      {
        type: 'maps',
        runId: run.runId,
        phase: run.phase,
        step,
        maps: {
          view: { pair: pairIndex, image, position },
          blocks: pair,
          patches: n,
          batch: b,
          k,
          teacher: maps.teacher,
          student: maps.student,
          image: imageRgb,
          imageSize: run.config.teacher.imageSize,
          labels: probe.labels,
        },
      },
      transfer,
    );
  }

  private async analyze(
    requestId: number,
    images: { id: string; rgb: Uint8Array }[],
    pairIndex: number,
  ): Promise<void> {
    const run = this.requireRun('analyse images');
    const size = run.config.teacher.imageSize;
    for (const img of images) {
      if (img.rgb.length !== size * size * 3) {
        throw new Error(
          `Image ${img.id} has ${img.rgb.length} bytes; the model needs ${size}x${size} RGB (${size * size * 3}).`,
        );
      }
    }
    if (!images.length) {
      this.post({ type: 'images.result', requestId, results: [], across: null });
      return;
    }
    const bytes = new Uint8Array(images.length * size * size * 3);
    images.forEach((img, i) => {
      bytes.set(img.rgb, i * size * size * 3);
    });
    const set = new DeviceImageSet(
      { images: bytes, labels: new Uint8Array(images.length), count: images.length, imageSize: size },
      run.trainer.normalization,
    );
    const idx = tf.range(0, images.length, 1, 'int32') as tf.Tensor1D;
    const batch = set.images(idx);
    idx.dispose();
    try {
      const pairs = run.trainer.pairs;
      const pair = pairs[Math.min(pairIndex, pairs.length - 1)]!;
      const teacher = await analyzeImages(run.trainer.teacher, batch, pair[1]);
      const studentModel = run.phase === 'student' ? (run.trainer.students[0]?.model ?? null) : null;
      const student = studentModel ? await analyzeImages(studentModel, batch, pair[0]) : null;
      const names = this.dataset?.classNames ?? [];
      const results: ImageAnalysis[] = images.map((img, i) => ({
        id: img.id,
        teacher: topClasses(teacher.probs[i]!, names),
        student: student ? topClasses(student.probs[i]!, names) : null,
        teacherIntra: teacher.intra[i]!,
        studentIntra: student ? student.intra[i]! : null,
      }));
      const across =
        images.length >= 2
          ? {
              ids: images.map((img) => img.id),
              patches: patchCount(run.config.teacher),
              teacher: teacher.inter,
              student: student ? student.inter : null,
            }
          : null;
      this.post({ type: 'images.result', requestId, results, across });
    } finally {
      batch.dispose();
      set.dispose();
    }
  }

  /** Test hook: loses the GPU device the way a driver reset would. */
  private destroyDevice(): void {
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    if (!device) throw new Error('The active backend has no GPU device to lose.');
    device.destroy();
  }

  /** Called when the WebGPU device is lost: stop, and tell the page, which restarts the worker. */
  deviceLost(message: string): void {
    this.deviceGone = true;
    const run = this.run;
    if (run) {
      run.status = 'paused';
      run.reason = message;
      this.post({ type: 'run.fault', runId: run.runId, kind: 'device-lost', message, term: null });
    }
  }
}

function topClasses(probs: Float32Array, names: string[], k = 3): Prediction {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]!);
  return {
    top: order.slice(0, k).map((label) => ({ label, name: names[label] ?? String(label), p: probs[label]! })),
  };
}
