// The page's scroll position for its saved state: read on scroll only (reading window.scrollY after
// drawing would force a layout), and saved once scrolling settles.
export interface ScrollMemory {
  /** The last position scrolled to. */
  readonly y: number;
  /** Scrolls back to a saved position. */
  restore(y: number): void;
}

export function scrollMemory(save: () => void): ScrollMemory {
  let y = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('scroll', () => {
    y = Math.round(window.scrollY);
    clearTimeout(timer);
    timer = setTimeout(save, 150);
  });
  return {
    get y() {
      return y;
    },
    restore(to) {
      y = to;
      window.scrollTo(0, to);
    },
  };
}
