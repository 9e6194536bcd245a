/**
 * What a build reports as it goes, for clients that show it (the page's build view, the lessons):
 * the same facts the classic builder prints, as data. A step is announced, may print, is taken from
 * the cache (with the reason) or built, and ends with the image it left; the build ends with an image
 * or an error, and then names the last good image to debug from.
 */
export type BuildEvent =
  | { kind: "start"; buildId: string; total: number; builder: "classic" | "buildkit"; dockerfile: string; tags: readonly string[] }
  | {
      kind: "step";
      buildId: string;
      step: number;
      total: number;
      cmd: string;
      original: string;
      /** 1-based lines of the Dockerfile; 0 for an ONBUILD trigger of the base image. */
      line: number;
      endLine: number;
      /** An ONBUILD trigger of the base image, run as part of FROM. */
      trigger?: boolean;
    }
  | { kind: "output"; buildId: string; step: number; fd: 1 | 2; text: string }
  | { kind: "cached"; buildId: string; step: number; imageId: string; reason: string }
  | { kind: "done"; buildId: string; step: number; imageId: string | null; parentId: string | null; cached: boolean }
  | { kind: "end"; buildId: string; imageId?: string; error?: string; status: number; lastImageId?: string | null; failedStep?: number };

export type BuildEventListener = (e: BuildEvent) => void;
