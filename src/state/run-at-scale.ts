/**
 * The command lines that run the current experiment with the PyTorch twin (tools/torch/) on
 * many processes: torchrun, one process per GPU (NCCL) or per CPU slot (gloo). The config
 * travels as the share link's hash, which the twin reads with --url.
 */
import type { RunConfig } from '../engine/spec/config';
import type { PretrainedTeacher } from './pretrained-teachers';
import { encodeHash } from './url-codec';

export interface ScaleOptions {
  /** Processes per machine (torchrun --nproc_per_node). */
  processes: number;
  /** The shipped teacher to start from, or null to train one first. */
  teacher: PretrainedTeacher | null;
  /** Where the CIFAR .bin files are on the machine that runs it. */
  data?: string;
}

/** Single quotes for a POSIX shell. */
function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** One command per phase: the teacher's (unless a shipped one is used), then the student's. */
export function scaleCommands(config: RunConfig, opts: ScaleOptions): string[] {
  const data = opts.data ?? 'cifar-10-batches-bin';
  const run = `torchrun --nproc_per_node ${opts.processes} tools/torch/train.py`;
  const common = `--data ${data} --url ${quote(encodeHash(config))}`;
  const commands: string[] = [];
  let teacher = opts.teacher ? `public/models/${opts.teacher.name}` : 'runs/teacher/checkpoint';
  if (!opts.teacher) {
    commands.push(`${run} --phase teacher ${common} --out runs/teacher`);
    teacher = 'runs/teacher/checkpoint';
  }
  commands.push(`${run} --phase student ${common} --teacher ${teacher} --out runs/student`);
  return commands;
}
