// Inspections of a run's nets from their checkpoints: the residual net first, then its plain
// twin, each at its latest checkpoint (or a chosen step). The probes are kept between calls
// and only reload weights when a newer checkpoint appears, so a live view refreshing every
// few seconds costs one forward pass per net.
import { specFromRequest } from '../spec';
import { RunFolder } from '../training/runFolder';
import type { NetPlan, RunConfig } from '../training/types';
import { BlockProbe } from './probe';
import { checkpointWeights, chooseCheckpoint, InspectionData, normalisedImage, probeWithWeights, responseImages, runInspectionData } from './sources';
import type { NetInspection } from './types';

/** How many test images Fig. 7's standard deviations are taken over, by default. */
export const DEFAULT_FIGURE_IMAGES = 16;
export class RunInspector {
  private readonly probes = new Map<NetPlan['slot'], { probe: BlockProbe; step: number }>();
  private readonly figureImages: { data: Float32Array; count: number };

  private constructor(readonly run: RunFolder, readonly config: RunConfig, readonly data: InspectionData, figureImages: number) {
    this.figureImages = responseImages(data, figureImages);
  }

  /** Opens a run folder and loads its data as its trainer does (the test images and the training mean). */
  static async open(runFolder: string, figureImages = DEFAULT_FIGURE_IMAGES): Promise<RunInspector> {
    const run = RunFolder.open(runFolder);
    const config = run.readConfig();
    return new RunInspector(run, config, await runInspectionData(config), figureImages);
  }

  /** The run's nets, residual first (the order the inspector shows them side by side). */
  get nets(): NetPlan[] {
    return [...this.config.nets].sort((a, b) => Number(isPlain(a)) - Number(isPlain(b)));
  }

  /** Each net's latest checkpoint step (null before its first). */
  latestSteps(): Map<NetPlan['slot'], number | null> {
    return new Map(this.config.nets.map((n) => [n.slot, this.run.latestCheckpoint(n.slot)?.step ?? null]));
  }

  /** Test image `imageIndex` through every net of the run at its latest checkpoint, or at `step` (or each net's nearest to it). */
  inspect(imageIndex: number, step?: number): NetInspection[] {
    const image = normalisedImage(this.data, imageIndex);
    return this.nets.map((net) => {
      const probe = this.probeAt(net.slot, step);
      return probe.inspect({ image, responseImages: this.figureImages, classNames: this.data.images.classNames });
    });
  }

  private probeAt(slot: NetPlan['slot'], step?: number): BlockProbe {
    const chosen = chooseCheckpoint(this.run, slot, step);
    const held = this.probes.get(slot);
    if (held && held.step === chosen.info.step) return held.probe;
    const weights = checkpointWeights(this.run, slot, chosen);
    if (held) {
      held.probe.setWeights(weights.weights, weights.origin);
      held.step = weights.origin.step!;
      return held.probe;
    }
    const probe = probeWithWeights(weights);
    this.probes.set(slot, { probe, step: weights.origin.step! });
    return probe;
  }

  /** Tensors the held probes keep (their models' variables). */
  heldTensors(): number {
    let n = 0;
    for (const { probe } of this.probes.values()) n += probe.model.variables.length;
    return n;
  }

  dispose(): void {
    for (const { probe } of this.probes.values()) probe.dispose();
    this.probes.clear();
  }
}

function isPlain(net: NetPlan): boolean {
  return !specFromRequest(net.request).residual;
}
