import { LabDriver, type LabDriverOptions } from "../../scripts/lab-driver.ts";

export { LabDriver };

/** A lab in headless Chromium for a test; close() it in afterAll. */
export function launchLab(opts: LabDriverOptions = {}): Promise<LabDriver> {
  return LabDriver.launch(opts);
}
