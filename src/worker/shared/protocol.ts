/**
 * The typed messages between the page and the training worker, inferred from the schemas
 * that check them (command-schema.ts on the worker's side, event-schema.ts on the page's), so
 * a type and its check cannot disagree. Verbs are namespaced by area. Request/response pairs
 * carry a requestId; events that belong to a run carry its runId, and the page drops events
 * of runs it no longer shows.
 */
import type { z } from 'zod';
import type { BackendName } from '../../engine/spec/backend-report';
import type {
  commandSchema,
  dataSourceSchema,
  mapViewSchema,
  probeImageSchema,
  runViewsSchema,
  teacherSourceSchema,
} from './command-schema';
import type {
  imageAnalysisSchema,
  mapsPayloadSchema,
  modelMapsSchema,
  predictionSchema,
  runStatusSchema,
  workerEventSchema,
} from './event-schema';

export type Command = z.infer<typeof commandSchema>;
export type WorkerEvent = z.infer<typeof workerEventSchema>;

export type DataSource = z.infer<typeof dataSourceSchema>;
export type TeacherSource = z.infer<typeof teacherSourceSchema>;
export type MapView = z.infer<typeof mapViewSchema>;
export type ProbeImage = z.infer<typeof probeImageSchema>;
export type RunStatusName = z.infer<typeof runStatusSchema>;
export type ModelMaps = z.infer<typeof modelMapsSchema>;
export type MapsPayload = z.infer<typeof mapsPayloadSchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type ImageAnalysis = z.infer<typeof imageAnalysisSchema>;
export type RunViews = z.infer<typeof runViewsSchema>;
export type DownloadProgress = Omit<Extract<WorkerEvent, { type: 'download.progress' }>, 'type'>;

export type { BackendName };
