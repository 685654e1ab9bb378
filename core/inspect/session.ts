// An inspection session: where the weights come from (a run's checkpoints, or a freshly
// initialised net and its plain twin on the embedded images) and the images to pick from.
// Runs in the inspector's worker thread (worker.ts); no thread code here, so tests use it directly.
import { NetworkSpec, ModelRequest, plainTwin, specFromRequest } from '../spec';
import { trainingPid } from '../training/runLock';
import { BlockProbe } from './probe';
import { DEFAULT_FIGURE_IMAGES, RunInspector } from './runInspector';
import { freshProbe, InspectionData, normalisedImage, responseImages, syntheticInspectionData, thumbnails } from './sources';
import type { InspectedImage, NetInspection, PickerImages, RunProgress } from './types';

/** Where an inspection's weights come from. */
export type InspectionSource =
  /** A run's nets at their latest checkpoint (step absent: refreshed as new ones land) or at a step. */
  | { kind: 'run'; runFolder: string; step?: number }
  /** A net (and, if residual, its plain twin) freshly initialised with the seed, on the embedded images. */
  | { kind: 'fresh'; model: ModelRequest; seed: number };

/** Thumbnails per class in the picker. */
const THUMBNAILS_PER_CLASS = 8;

export class InspectionSession {
  private constructor(
    readonly source: InspectionSource,
    private readonly run: RunInspector | null,
    private readonly probes: BlockProbe[],
    private readonly data: InspectionData,
  ) {}

  static async open(source: InspectionSource): Promise<InspectionSession> {
    if (source.kind === 'run') {
      const run = await RunInspector.open(source.runFolder);
      return new InspectionSession(source, run, [], run.data);
    }
    const spec: NetworkSpec = specFromRequest(source.model);
    const data = syntheticInspectionData();
    const { height: h, width: w, channels: c } = data.images;
    if (spec.inputSize !== h || spec.inputChannels !== c || spec.classes !== data.images.classNames.length || h !== w) {
      throw new Error(`${spec.title} takes ${spec.inputSize}×${spec.inputSize}×${spec.inputChannels} images of ${spec.classes} classes; the inspector's images are ${h}×${w}×${c} in ${data.images.classNames.length} classes: pick a CIFAR-10 net.`);
    }
    const specs = spec.residual ? [spec, plainTwin(spec)] : [spec];
    return new InspectionSession(source, null, specs.map((s) => freshProbe(s, source.seed)), data);
  }

  /** True when the view follows a run's latest checkpoint. */
  get follows(): boolean {
    return this.source.kind === 'run' && this.source.step === undefined;
  }


  images(): PickerImages {
    const { images, description } = this.data;
    return { thumbnails: thumbnails(images, THUMBNAILS_PER_CLASS), classNames: [...images.classNames], height: images.height, width: images.width, dataDescription: description };
  }

  /**
   * Each net's latest checkpoint step, in the order inspect() returns them (null before a first
   * checkpoint; [] for fresh nets), and whether a live process trains the run now (its lock).
   */
  progress(): RunProgress {
    if (!this.run) return { steps: [], training: false };
    const steps = this.run.latestSteps();
    return { steps: this.run.nets.map((n) => steps.get(n.slot) ?? null), training: trainingPid(this.run.run.folder) !== undefined };
  }

  inspect(imageIndex: number): { image: InspectedImage; nets: NetInspection[] } {
    const data = this.data;
    const nets = this.run
      ? this.run.inspect(imageIndex, this.source.kind === 'run' ? this.source.step : undefined)
      : this.probes.map((probe) => probe.inspect({ image: normalisedImage(data, imageIndex), responseImages: responseImages(data, DEFAULT_FIGURE_IMAGES), classNames: data.images.classNames }));
    const { images } = data;
    const bytes = images.height * images.width * images.channels;
    const label = images.labels[imageIndex];
    const image: InspectedImage = {
      index: imageIndex,
      label,
      className: images.classNames[label],
      pixels: Buffer.from(images.images.subarray(imageIndex * bytes, (imageIndex + 1) * bytes)).toString('base64'),
      height: images.height,
      width: images.width,
    };
    return { image, nets };
  }

  dispose(): void {
    this.run?.dispose();
    for (const probe of this.probes) probe.dispose();
  }
}
