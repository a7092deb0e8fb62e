import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import type { TopLevelSpec } from "vega-lite/build/index";
import type * as VegaLite from "vega-lite/build/index";

// vega and vega-lite are ES modules, and vega-canvas (loaded by vega) awaits at its top level, so
// this CommonJS project cannot require() them: it imports them. A name in a variable keeps
// TypeScript's node10 resolution, which cannot read vega-lite's `exports`, away from the
// specifier; the types come from the file itself above.
const VEGA_LITE: string = "vega-lite";

/** The picture as SVG text: Vega-Lite compiled to Vega, rendered on the server without a canvas. */
export async function renderTimelineSvg(spec: TopLevelSpec): Promise<string> {
    const vegaLite = (await import(VEGA_LITE)) as typeof VegaLite;
    const vega = await import("vega");
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
    try {
        return `${await view.toSVG()}\n`;
    } finally {
        view.finalize();
    }
}

/** Where `npm run drill` and the fault benchmarks write their reports unless told otherwise (git ignores it). */
export const DEFAULT_REPORT_DIR = "reports";

/**
 * Writes `<dir>/<name>.json` (the report, as given) and `<dir>/<name>.svg` (its picture) and
 * returns both paths. The two share a name so that a picture is never far from its figures.
 */
export async function writeReportAndTimeline(
    dir: string,
    name: string,
    reportJson: string,
    spec: TopLevelSpec,
): Promise<{ readonly json: string; readonly svg: string }> {
    const svg = await renderTimelineSvg(spec);
    await mkdir(dir, { recursive: true });
    const files = { json: path.join(dir, `${name}.json`), svg: path.join(dir, `${name}.svg`) };
    await writeFile(files.json, reportJson.endsWith("\n") ? reportJson : `${reportJson}\n`);
    await writeFile(files.svg, svg);
    return files;
}

/** A file name from a time: `2026-12-03T13-56-30Z`, sortable, with nothing a shell or Windows would trip on. */
export const fileTime = (iso: string): string => iso.replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
