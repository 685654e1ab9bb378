// The image picker: thumbnails of the test images grouped by class; clicking one inspects it.
import type { ShowImagesMessage } from '../../protocol/inspector';
import { base64Bytes, drawRgb } from './pixels';

export interface ImagePicker {
  element: HTMLElement;
  update(images: ShowImagesMessage): void;
  select(index: number | null): void;
}

export function imagePicker(parent: HTMLElement, onPick: (index: number) => void): ImagePicker {
  const element = document.createElement('details');
  element.className = 'image-picker';
  element.open = true;
  const summary = document.createElement('summary');
  summary.textContent = 'Pick an image';
  const source = document.createElement('p');
  source.className = 'picker-source';
  const grid = document.createElement('div');
  grid.className = 'picker-grid';
  element.append(summary, source, grid);
  parent.append(element);

  function update(message: ShowImagesMessage): void {
    source.textContent = message.dataDescription;
    const rows = message.classNames.map((className, label) => {
      const row = document.createElement('div');
      row.className = 'picker-row';
      const name = document.createElement('span');
      name.className = 'picker-class';
      name.textContent = className;
      row.append(name);
      for (const thumb of message.thumbnails.filter((t) => t.label === label)) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'thumb';
        button.dataset.index = String(thumb.index);
        button.title = `${thumb.className}, test image ${thumb.index}`;
        const canvas = document.createElement('canvas');
        drawRgb(canvas, base64Bytes(thumb.pixels), message.width, message.height);
        button.append(canvas);
        button.addEventListener('click', () => onPick(thumb.index));
        row.append(button);
      }
      return row;
    });
    grid.replaceChildren(...rows);
  }

  function select(index: number | null): void {
    for (const thumb of grid.querySelectorAll<HTMLElement>('.thumb')) thumb.classList.toggle('selected', Number(thumb.dataset.index) === index);
  }
  return { element, update, select };
}
