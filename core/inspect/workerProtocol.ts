// The messages between the extension host and the inspector's worker thread, declared once
// and imported by both sides. Each request carries an id; the reply carries it back.
import type { TfjsSetting } from '../engine/backend';
import type { InspectionSource } from './session';
import type { InspectedImage, NetInspection, PickerImages } from './types';

export type ToInspectWorkerMessage =
  /** Start (or replace) the session: choose the backend, load the weights and the images. */
  | { type: 'open'; id: number; source: InspectionSource; backend: TfjsSetting; nodeModulePaths?: string[] }
  /** One image through every net of the session. */
  | { type: 'inspect'; id: number; imageIndex: number }
  /** Each net's latest checkpoint step (for live refresh). */
  | { type: 'latestSteps'; id: number };

export type FromInspectWorkerMessage =
  | { type: 'opened'; id: number; images: PickerImages; backend: string; follows: boolean; iterations: number | null }
  | { type: 'inspected'; id: number; image: InspectedImage; nets: NetInspection[] }
  | { type: 'latestSteps'; id: number; steps: Array<number | null> }
  /** The request failed; the message names the problem. */
  | { type: 'failed'; id: number; message: string };
