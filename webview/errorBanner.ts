// The one place a page shows a problem: a banner (role="alert") at the top of the page (styled in page.css).
export interface ErrorBanner {
  show(text: string): void;
  clear(): void;
}

export function errorBanner(parent: HTMLElement, before: Node | null = null): ErrorBanner {
  const banner = document.createElement('div');
  banner.className = 'error-banner';
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  parent.insertBefore(banner, before);
  return {
    show(text) {
      banner.textContent = text;
      banner.hidden = false;
    },
    clear() {
      banner.hidden = true;
      banner.textContent = '';
    },
  };
}
