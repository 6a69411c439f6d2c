/** The user's own images: each one's pixels at model size and what the models make of it. */
import type { StateCreator } from 'zustand';
import type { ImageAnalysis } from '../worker/shared/protocol';
import type { AppState } from './store';

export interface UserImage {
  id: string;
  name: string;
  /** RGB bytes at the model's input size. */
  rgb: Uint8Array;
  size: number;
  /** A data URL of the resized image, for display. */
  preview: string;
  analysis: ImageAnalysis | null;
}

/** Inter-image maps across the user's images, from the last analysis of two or more. */
export interface AcrossImages {
  ids: string[];
  patches: number;
  teacher: Float32Array;
  student: Float32Array | null;
}

export interface ImagesSlice {
  images: UserImage[];
  across: AcrossImages | null;
  addUserImages: (images: UserImage[]) => void;
  removeUserImage: (id: string) => void;
  imagesAnalyzed: (results: ImageAnalysis[], across: AcrossImages | null) => void;
}

/** At most this many images are kept (the worker analyses them in one batch). */
export const MAX_USER_IMAGES = 16;

export const createImagesSlice: StateCreator<AppState, [], [], ImagesSlice> = (set) => ({
  images: [],
  across: null,
  addUserImages: (more) => set((s) => ({ images: [...s.images, ...more].slice(-MAX_USER_IMAGES) })),
  removeUserImage: (id) => set((s) => ({ images: s.images.filter((i) => i.id !== id) })),
  imagesAnalyzed: (results, across) =>
    set((s) => {
      const byId = new Map(results.map((r) => [r.id, r]));
      return {
        images: s.images.map((img) => ({ ...img, analysis: byId.get(img.id) ?? img.analysis })),
        across: across ?? (results.length >= 2 ? null : s.across),
      };
    }),
});
