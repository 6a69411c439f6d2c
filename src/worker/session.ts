/**
 * One training session in the worker: the loaded data and the current run. This file routes
 * commands; the run's loop (run-loop.ts), its creation (run.ts), the memory budget, the
 * relation maps, image analysis and checkpoints live in files of their own.
 */
import { describeActiveBackend } from '../engine/backend';
import type { Dataset } from '../engine/data/dataset';
import { webgpuDevice } from '../engine/gpu-device';
import { effectiveLayerPairs } from '../engine/spec/config';
import { memoryProblem } from '../engine/spec/memory-budget';
import * as tf from '../engine/tf';
import { dataSourceKey, loadDataSource } from './data-source';
import type { DownloadProgress } from './download';
import { type AnalysisModels, analyzeUserImages } from './image-analysis';
import { previewTeacher } from './preview-teacher';
import { ProbeBatch, readMaps } from './probe-maps';
import { createRun, fitToDataset, type Post, type Run } from './run';
import { saveCheckpoint } from './run-checkpoint';
import { continueRun, type LoopHost, postConfig, postProgress, postStatus } from './run-loop';
import { indexedDbSavedRuns, type SavedRunStore } from './saved-run';
import { runViewsSchema } from './shared/command-schema';
import { readGpuCounters } from './shared/gpu-counters';
import type { Command, DataSource } from './shared/protocol';
import { fetchSiteTeacher } from './site-teacher';
import { type SlotLocks, webSlotLocks } from './slot-lock';
import { abandonProfile } from './step-profiler';

/** How long a failed read waits for the device's lost promise before it counts as a run error. */
const DEVICE_LOST_GRACE_MS = 1000;

export class Session implements LoopHost {
  readonly post: Post;
  private readonly saved: SavedRunStore;
  private readonly locks: SlotLocks;
  private data: Dataset | null = null;
  private dataKey: string | null = null;
  private run: Run | null = null;
  private probe: ProbeBatch | null = null;
  /** Set once the GPU device is lost: nothing on this backend can run any more. */
  deviceGone = false;

  private readonly load: (source: DataSource) => Promise<Dataset>;

  /** `saved`, `locks` and `loadData` default to the browser's; Node tests pass a memory store, no locks and a small set. */
  constructor(
    post: Post,
    deps: {
      saved?: SavedRunStore;
      locks?: SlotLocks;
      loadData?: (source: DataSource) => Promise<Dataset>;
    } = {},
  ) {
    this.post = post;
    this.saved = deps.saved ?? indexedDbSavedRuns;
    this.locks = deps.locks ?? webSlotLocks;
    this.load = deps.loadData ?? ((source) => loadDataSource(source, this.reportDownload));
  }

  /** A download's progress, for the page's run panel. */
  private readonly reportDownload = (progress: DownloadProgress): void =>
    this.post({ type: 'download.progress', ...progress });

  get dataset(): Dataset {
    if (!this.data) throw new Error('Load data before starting a run.');
    return this.data;
  }

  isCurrent(run: Run): boolean {
    return this.run === run;
  }

  /** Runs one command and answers it (an event of its own, or ok). */
  async handle(cmd: Command): Promise<void> {
    switch (cmd.type) {
      case 'backend.init':
      case 'backend.estimate':
      case 'debug.inject':
      case 'worker.ping':
        throw new Error(`${cmd.type} is handled by the worker entry`);
      case 'data.load': {
        const dataset = await this.loadData(cmd.source);
        this.post({
          type: 'data.ready',
          requestId: cmd.requestId,
          name: dataset.name,
          classNames: dataset.classNames,
          trainCount: dataset.train.count,
          testCount: dataset.test.count,
        });
        return;
      }
      case 'run.start':
        await this.start(cmd);
        return this.ok(cmd.requestId);
      case 'run.pause': {
        const run = this.requirePausable('pause');
        run.status = 'paused';
        run.reason = null;
        // No further step is enqueued from now on; say so at once. The loop then reads the
        // pending metrics and saves a checkpoint.
        postStatus(this.post, run);
        return this.ok(cmd.requestId);
      }
      case 'run.resume': {
        const run = this.requirePausable('resume');
        run.stepBudget = null;
        postConfig(this.post, run);
        continueRun(this, run);
        return this.ok(cmd.requestId);
      }
      case 'run.step': {
        const run = this.requirePausable('step');
        run.stepBudget = cmd.count;
        continueRun(this, run);
        return this.ok(cmd.requestId);
      }
      case 'run.reset':
        this.disposeRun();
        return this.ok(cmd.requestId);
      case 'run.setLoss': {
        const run = this.requireRun('change loss weights');
        run.trainer.setLoss('student', cmd.loss);
        postConfig(this.post, run);
        return this.ok(cmd.requestId);
      }
      case 'run.evaluate': {
        const run = this.requireRun('evaluate');
        const result = await run.trainer.evaluate();
        this.post({ type: 'run.eval', runId: run.runId, phase: run.phase, result });
        return this.ok(cmd.requestId);
      }
      case 'run.profile': {
        const run = this.requirePausable('profile');
        abandonProfile(this.post, run.profileRequest);
        // Answered by run.profile once the loop has run the steps.
        run.profileRequest = { requestId: cmd.requestId, steps: cmd.steps };
        if (run.status === 'paused') {
          run.stepBudget = cmd.steps;
          continueRun(this, run);
        }
        return;
      }
      case 'maps.view': {
        const run = this.requireRun('show relation maps');
        run.view = cmd.view;
        await this.postMaps(run);
        return this.ok(cmd.requestId);
      }
      case 'images.analyze': {
        const result = await analyzeUserImages(await this.analysisModels(cmd), cmd.images, cmd.pair);
        this.post({ type: 'images.result', requestId: cmd.requestId, ...result });
        return;
      }
      case 'model.export': {
        const run = this.requireRun('export');
        const ckpt = await run.trainer.checkpoint();
        this.post({ type: 'model.exported', requestId: cmd.requestId, ...ckpt }, [ckpt.weights]);
        return;
      }
      case 'run.save': {
        const run = this.run;
        // A training loop saves between two steps (a read now would race the next step's update).
        if (run?.looping) run.lastCheckpointAt = Number.NEGATIVE_INFINITY;
        else if (run && run.status !== 'done') await this.saveCheckpoint(run);
        return this.ok(cmd.requestId);
      }
      case 'saved.list': {
        const [runs, open] = await Promise.all([this.saved.list(), this.locks.locked()]);
        this.post({
          type: 'saved.runs',
          requestId: cmd.requestId,
          runs: runs.map((r) => ({ ...r, openElsewhere: open.has(r.id) })),
        });
        return;
      }
      case 'saved.delete':
        await this.saved.delete(cmd.id);
        return this.ok(cmd.requestId);
      case 'saved.keepViews':
        await this.saved.saveViews(cmd.id, cmd.views);
        return this.ok(cmd.requestId);
      case 'saved.views': {
        const kept = await this.saved.loadViews(cmd.id);
        // Views of an older page may not parse: then there are none, and the run goes on without them.
        const views = kept ? runViewsSchema.safeParse(kept.views) : null;
        this.post({
          type: 'saved.views',
          requestId: cmd.requestId,
          saved: kept && views?.success ? { views: views.data, phase: kept.phase, step: kept.step } : null,
        });
        return;
      }
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

  private async loadData(source: DataSource): Promise<Dataset> {
    const key = dataSourceKey(source);
    if (this.dataKey === key && this.data) return this.data;
    this.disposeRun();
    this.data = await this.load(source);
    this.dataKey = key;
    return this.data;
  }

  private async start(cmd: Extract<Command, { type: 'run.start' }>): Promise<void> {
    const dataset = this.dataset;
    this.disposeRun();
    this.checkMemory(fitToDataset(cmd.config, dataset));
    // A shipped teacher is downloaded here, with its progress on the page.
    const teacher =
      cmd.teacher.kind === 'site'
        ? { kind: 'checkpoint' as const, ...(await fetchSiteTeacher(cmd.teacher, this.reportDownload)) }
        : cmd.teacher;
    const release = await this.locks.lock(cmd.saveId, { takeOver: cmd.takeOverSlot ?? false });
    if (!release)
      throw new Error('That saved run is open in another tab: continue it there, or close that tab first.');
    let run: Run;
    try {
      run = await createRun({ ...cmd, teacher }, dataset, this.saved);
    } catch (err) {
      release();
      throw err;
    }
    run.releaseSlot = release;
    this.run = run;
    this.probe = new ProbeBatch(dataset, run.trainer.normalization);
    postConfig(this.post, run);
    postStatus(this.post, run);
    postProgress(this.post, run, true);
    void this.postMaps(run).catch(() => {});
    if (!cmd.paused) continueRun(this, run);
  }

  /** The run's models, or before any run the shipped teacher the page sent (preview-teacher.ts). */
  private async analysisModels(cmd: Extract<Command, { type: 'images.analyze' }>): Promise<AnalysisModels> {
    const run = this.run;
    if (run) {
      return {
        teacher: run.trainer.teacher,
        student: run.phase === 'student' ? (run.trainer.students[0]?.model ?? null) : null,
        normalization: run.trainer.normalization,
        pairs: run.trainer.pairs,
        classNames: this.data?.classNames ?? [],
      };
    }
    if (!cmd.teacher) return this.requireRun('analyse images') as never;
    const t = await previewTeacher(cmd.teacher, this.reportDownload);
    const c = t.config;
    return {
      teacher: t.model,
      student: null,
      normalization: t.normalization,
      pairs: effectiveLayerPairs(c.loss, c.student, t.model.config),
      classNames: t.classNames,
    };
  }

  /** Refuses configs that cannot fit, before any allocation, saying what to shrink. */
  private checkMemory(config: Parameters<typeof memoryProblem>[0]): void {
    const device = webgpuDevice();
    const maxBinding = device
      ? Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize)
      : undefined;
    const { train, test } = this.dataset;
    const data = { trainCount: train.count, testCount: test.count, imageSize: train.imageSize };
    const message = memoryProblem(config, data, describeActiveBackend().name, maxBinding);
    if (!message) return;
    this.post({ type: 'run.fault', runId: -1, kind: 'memory', message, term: null });
    const err = new Error(message);
    err.name = 'MemoryLimitError';
    throw err;
  }

  private disposeRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = null;
    abandonProfile(this.post, run.profileRequest);
    run.profileRequest = null;
    run.releaseSlot();
    run.status = 'idle';
    run.trainer.dispose(true);
    this.probe?.dispose();
    this.probe = null;
  }

  /** Relation maps of the probe batch for the current view, read in one transfer. */
  async postMaps(run: Run): Promise<void> {
    if (!this.probe) return;
    const { event, transfer } = await readMaps(run, this.probe);
    if (this.isCurrent(run)) this.post(event, transfer);
  }

  saveCheckpoint(run: Run): Promise<void> {
    return saveCheckpoint(run, this.saved, this.post, (r) => this.isCurrent(r));
  }

  /** A finished run needs no slot: its results are final (export them to keep its models). */
  async deleteSaved(run: Run): Promise<void> {
    await run.pendingSave;
    await this.saved.delete(run.saveId);
  }

  /** Test hook: loses the GPU device the way a driver reset would. */
  private destroyDevice(): void {
    const device = webgpuDevice();
    if (!device) throw new Error('The active backend has no GPU device to lose.');
    device.destroy();
  }

  async deviceLostSoon(): Promise<boolean> {
    const device = webgpuDevice();
    if (!device || this.deviceGone) return this.deviceGone;
    const lost = await Promise.race([
      device.lost.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), DEVICE_LOST_GRACE_MS)),
    ]);
    return lost || this.deviceGone;
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
