/** Which data the next run trains on, and what the worker reported about it. */
import type { StateCreator } from 'zustand';
import type { DataSource, DownloadProgress } from '../worker/shared/protocol';
import type { AppState } from './store';

export interface DataInfo {
  name: string;
  classNames: string[];
  trainCount: number;
  testCount: number;
}

export type CifarSource = Extract<DataSource, { kind: 'archive' | 'files' | 'archive-url' }>;

export interface DataSlice {
  /** CIFAR files the user gave, or the site's own archive (used when the dataset is 'cifar10'). */
  cifarSource: CifarSource | null;
  dataInfo: DataInfo | null;
  dataLoading: boolean;
  /** The latest download of the site's files (data or a shipped teacher), as the worker reports it. */
  download: DownloadProgress | null;
  /** Start from the shipped pretrained teacher ('pretrained') or train one here ('train'). */
  teacherChoice: 'pretrained' | 'train';
  setTeacherChoice: (choice: 'pretrained' | 'train') => void;
  setCifarSource: (source: CifarSource | null) => void;
  dataLoaded: (info: DataInfo | null) => void;
  setDataLoading: (loading: boolean) => void;
  downloadProgress: (progress: DownloadProgress | null) => void;
}

export const createDataSlice: StateCreator<AppState, [], [], DataSlice> = (set) => ({
  cifarSource: null,
  dataInfo: null,
  dataLoading: false,
  download: null,
  teacherChoice: 'pretrained',
  setTeacherChoice: (teacherChoice) => set({ teacherChoice }),
  setCifarSource: (cifarSource) => set({ cifarSource }),
  dataLoaded: (dataInfo) => set({ dataInfo, dataLoading: false }),
  setDataLoading: (dataLoading) => set({ dataLoading }),
  downloadProgress: (download) => set({ download }),
});
