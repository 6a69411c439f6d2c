/**
 * A teacher shipped with the site (public/models/<name>/: model.json + weights.bin), fetched by
 * the worker with its progress reported like the data's. Fetched once per folder and kept: a
 * run's start and the judging of images dropped before it share one download (a failed one is
 * forgotten, so a retry fetches again).
 */
import type { EncodedCheckpoint } from '../engine/checkpoint';
import { validateManifest } from '../engine/spec/checkpoint-format';
import { type DownloadOptions, type DownloadProgress, withDownload } from './download';

/** Where a shipped teacher is: its name and the absolute URL of its folder (ends with '/'). */
export interface SiteTeacher {
  name: string;
  url: string;
}

const fetched = new Map<string, Promise<EncodedCheckpoint>>();

/** The teacher's checkpoint, downloaded the first time it is asked for. */
export function fetchSiteTeacher(
  teacher: SiteTeacher,
  report: (progress: DownloadProgress) => void,
  options?: DownloadOptions,
): Promise<EncodedCheckpoint> {
  let files = fetched.get(teacher.url);
  if (!files) {
    files = download(teacher, report, options);
    fetched.set(teacher.url, files);
    files.catch(() => fetched.delete(teacher.url));
  }
  return files;
}

function download(
  teacher: SiteTeacher,
  report: (progress: DownloadProgress) => void,
  options?: DownloadOptions,
): Promise<EncodedCheckpoint> {
  return withDownload(
    `the teacher ${teacher.name}`,
    report,
    async (d) => {
      const get = async (file: string) => {
        const res = await d.fetch(new URL(file, teacher.url).href);
        if (!res.ok)
          throw new Error(
            `Could not load the pretrained teacher (${teacher.url}${file}: HTTP ${res.status}).`,
          );
        return res;
      };
      const [json, bin] = await Promise.all([get('model.json'), get('weights.bin')]);
      const manifest = validateManifest(await json.json());
      return { manifest, weights: await bin.arrayBuffer() };
    },
    options,
  );
}
