/** A lab page for following lessons in English, with the locators the lesson tests share. */
import { launchLab, type LabDriver } from "./browser.ts";

export async function launchEnglishLab(opts: Parameters<typeof launchLab>[0] = {}): Promise<LabDriver> {
  const lab = await launchLab(opts);
  await lab.page.evaluate(() => localStorage.setItem("layerlab.lang", "en"));
  await lab.reload();
  return lab;
}

export const lessonPanel = (lab: LabDriver) => lab.page.locator("lab-app lesson-panel");
export const sideTab = (lab: LabDriver, name: string) => lab.page.getByRole("tab", { name, exact: true });
