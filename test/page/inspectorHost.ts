// A stand-in for VS Code hosting the block-inspector page: serves dist/inspector.{js,css} on
// 127.0.0.1 with the real CSP (webviewHtml), records what the page posts, and delivers the
// extension's messages. The inspections it sends are real: core's block probe on TF.js
// (WebAssembly), for a net and its plain twin (or two models of different depths), on the
// embedded image set.
import type { Browser } from 'playwright-core';
import { selectBackend } from '../../core/engine/backend';
import { freshProbe, normalisedImage, responseImages, syntheticInspectionData, thumbnails } from '../../core/inspect/sources';
import { NetworkSpec, plainTwin, requestFromSpec, specFromName } from '../../core/spec';
import type { FromInspectorPage, InspectorPanelState, ShowImagesMessage, ShowInspectionMessage, ToInspectorPage } from '../../protocol/inspector';
import { Host, startPageServer, WebviewPage } from './host';

export { launchBrowser } from './host';

export type InspectorHost = Host;

export function startInspectorHost(): Promise<InspectorHost> {
  return startPageServer('inspector', 'ResNet Lab: block inspector');
}

/** The block-inspector page under test. */
export class InspectorPage extends WebviewPage<ToInspectorPage, FromInspectorPage, InspectorPanelState> {
  /** `initScript` runs before the page's own script (e.g. to hand it the state VS Code kept). */
  static open(browser: Browser, host: InspectorHost, viewport = { width: 1200, height: 1000 }, initScript?: string): Promise<InspectorPage> {
    return WebviewPage.load(browser, host, (page) => new InspectorPage(page, true), { viewport, initScript });
  }
}

/** Real inspections of one image through a net and its plain twin (fresh He-initialised weights). */
export function inspectPair(modelName: string, imageIndex: number): Promise<{ images: ShowImagesMessage; inspection: ShowInspectionMessage }> {
  const spec = specFromName(modelName);
  return inspectNets([spec, plainTwin(spec)], imageIndex);
}

/**
 * Real inspections of one image through two different models (fresh He-initialised weights),
 * e.g. plain-20 and plain-56: nets whose depths differ.
 */
export function inspectModels(modelNames: string[], imageIndex: number): Promise<{ images: ShowImagesMessage; inspection: ShowInspectionMessage }> {
  return inspectNets(modelNames.map((name) => specFromName(name)), imageIndex);
}

async function inspectNets(specs: NetworkSpec[], imageIndex: number): Promise<{ images: ShowImagesMessage; inspection: ShowInspectionMessage }> {
  await selectBackend('wasm');
  const data = syntheticInspectionData(1, 200, 40);
  const image = normalisedImage(data, imageIndex);
  const figureImages = responseImages(data, 8);
  const nets = specs.map((s) => {
    const probe = freshProbe(s, 1);
    try {
      return probe.inspect({ image, responseImages: figureImages, classNames: data.images.classNames });
    } finally {
      probe.dispose();
    }
  });
  const { height, width, channels } = data.images;
  const bytes = height * width * channels;
  const label = data.images.labels[imageIndex];
  return {
    images: { type: 'showImages', thumbnails: thumbnails(data.images, 2), classNames: [...data.images.classNames], height, width, dataDescription: data.description },
    inspection: {
      type: 'showInspection',
      image: { index: imageIndex, label, className: data.images.classNames[label], pixels: Buffer.from(data.images.images.subarray(imageIndex * bytes, (imageIndex + 1) * bytes)).toString('base64'), height, width },
      nets,
      live: false,
      source: { model: requestFromSpec(specs[0]) },
    },
  };
}
