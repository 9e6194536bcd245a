/** Runs a snippet inside the lab page (modules are served by vite, so `import('/src/…')` works there). */
import type { Page } from "playwright-core";

export async function inPage<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(async () => { ${body} })()`) as Promise<T>;
}
