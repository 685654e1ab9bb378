// The messages between the extension host and the inspector's worker thread, declared once
// and imported by both sides. Each request carries a requestId; the reply carries it back.
// What the worker sends is checked on arrival (core/inspect/client.ts).
import { z } from 'zod';
import type { TfjsSetting } from '../engine/backend';
import type { InspectionSource } from './session';
import { inspectedImage, netInspection, pickerImages, runProgress } from './types';

export type ToInspectWorkerMessage =
  /** Start (or replace) the session: choose the backend, load the weights and the images. */
  | { type: 'open'; requestId: number; source: InspectionSource; backend: TfjsSetting; nodeModulePaths?: string[] }
  /** One image through every net of the session. */
  | { type: 'inspect'; requestId: number; imageIndex: number }
  /** Each net's latest checkpoint step and whether the run trains (for live refresh). */
  | { type: 'progress'; requestId: number };

export const fromInspectWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('opened'), requestId: z.number(), images: pickerImages, backend: z.string(), follows: z.boolean(), progress: runProgress }),
  z.object({ type: z.literal('inspected'), requestId: z.number(), image: inspectedImage, nets: z.array(netInspection) }),
  z.object({ type: z.literal('progress'), requestId: z.number(), progress: runProgress }),
  /** The request failed; the message names the problem. */
  z.object({ type: z.literal('failed'), requestId: z.number(), message: z.string() }),
]);
export type FromInspectWorkerMessage = z.infer<typeof fromInspectWorker>;
