// Headless Chromium (Debian's package) as a test instrument: it lays out a page and tells what
// it drew, measured by the browser itself. No puppeteer and no browser download: `--dump-dom`
// prints the DOM once the page has loaded, after its inline script ran.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import type { DrillReport } from "../../contracts/report";
import { eventLabel } from "../../ops/drill/timeline-spec";
import { Requirement } from "./require-program";

export const CHROMIUM: Requirement = ["chromium", ["--version"], "Debian's chromium package"];

/** Where one mark was drawn, in CSS pixels of the page. */
export interface Box {
    readonly left: number;
    readonly right: number;
    readonly width: number;
    readonly height: number;
}

/** What the browser drew of a timeline picture (ops/drill/timeline-spec.ts). */
export interface MeasuredTimeline {
    /** The <svg> element as laid out. */
    readonly svg: Box;
    /** The outage band, when drawn. */
    readonly outage?: Box;
    /** Bars of confirmed writes drawn (one per bucket). */
    readonly bars: number;
    /** Event lines: their label (the mark's aria-label) and the x of their centre. */
    readonly events: readonly { readonly label: string; readonly x: number }[];
    /** The time axis' ticks: their label and the x of the tick line's centre. */
    readonly ticks: readonly { readonly text: string; readonly x: number }[];
    readonly legend: readonly string[];
}

// Runs in the page. Marks are found by the class Vega gives a named layer (`<name>_marks`), the
// time axis by its title, so nothing here depends on the order Vega writes its groups in.
const MEASURE = `
const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right, width: r.width, height: r.height }; };
const svg = document.querySelector("svg");
const outage = document.querySelector("g.outage_marks path");
const axis = [...document.querySelectorAll("g.role-axis")].find((g) =>
    [...g.querySelectorAll(".role-axis-title text")].some((t) => t.textContent.startsWith("seconds from")));
const result = {
    svg: box(svg),
    outage: outage ? box(outage) : undefined,
    bars: document.querySelectorAll("g.writes_marks path").length,
    events: [...document.querySelectorAll("g.events_marks line")].map((l) => { const b = box(l); return { label: l.getAttribute("aria-label"), x: b.left + b.width / 2 }; }),
    ticks: axis ? (() => {
        // Each tick line with its label (Vega writes both in the same order); the line's centre is the exact position.
        const lines = [...axis.querySelectorAll(".role-axis-tick line")];
        return [...axis.querySelectorAll(".role-axis-label text")].map((t, i) => { const b = box(lines[i]); return { text: t.textContent, x: b.left + b.width / 2 }; });
    })() : [],
    legend: [...document.querySelectorAll(".role-legend-label text")].map((t) => t.textContent),
};
const out = document.createElement("pre");
out.id = "measured";
out.textContent = JSON.stringify(result);
document.body.appendChild(out);
`;

/** Lays `svgText` out in headless Chromium, inline in a page, and returns what it drew where. */
export async function measureTimelineInChromium(svgText: string): Promise<MeasuredTimeline> {
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-chromium-"));
    try {
        const page = path.join(dir, "timeline.html");
        writeFileSync(page, `<!doctype html><html><body style="margin:0">${svgText}<script>${MEASURE}</script></body></html>`);
        const { stdout } = await promisify(execFile)(
            "chromium",
            [
                "--headless",
                // Root in a container has no user namespace for the sandbox; the page is our own file.
                "--no-sandbox",
                "--disable-gpu",
                `--user-data-dir=${path.join(dir, "profile")}`,
                "--window-size=1000,700",
                "--dump-dom",
                `file://${page}`,
            ],
            { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        );
        const measured = /<pre id="measured">([^<]*)<\/pre>/.exec(stdout);
        if (!measured) throw new Error(`chromium drew the page but the measuring script left nothing (${stdout.length} bytes of DOM)`);
        return JSON.parse(
            measured[1]
                .replace(/&quot;/g, '"')
                .replace(/&amp;/g, "&")
                .replace(/&lt;/g, "<")
                .replace(/&gt;/g, ">"),
        ) as MeasuredTimeline;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * The time axis as the browser drew it: a straight line through the ticks,
 * seconds -> x. Fitted by least squares, so one label nudged by a pixel does not decide.
 */
export function timeScaleOf(ticks: MeasuredTimeline["ticks"]): (seconds: number) => number {
    // d3-format writes thousands with commas and negatives with U+2212, the typographic minus.
    const points = ticks
        .map((t) => ({ s: Number(t.text.replace(/,/g, "").replace(/\u2212/g, "-")), x: t.x }))
        .filter((p) => Number.isFinite(p.s));
    if (points.length < 2) throw new Error(`the time axis has ${points.length} readable tick labels`);
    const n = points.length;
    const ms = points.reduce((a, p) => a + p.s, 0) / n;
    const mx = points.reduce((a, p) => a + p.x, 0) / n;
    const slope = points.reduce((a, p) => a + (p.s - ms) * (p.x - mx), 0) / points.reduce((a, p) => a + (p.s - ms) ** 2, 0);
    return (seconds) => mx + slope * (seconds - ms);
}

/** What every drill picture must show, checked on what Chromium drew of it. */
export function expectPictureOf(report: DrillReport, drawn: MeasuredTimeline): void {
    const t = report.timings;
    // It rendered: the whole picture, a bar per 100 ms bucket, a line per event, a legend naming them.
    expect(drawn.svg.width).to.be.greaterThan(700);
    expect(drawn.svg.height).to.be.greaterThan(300);
    expect(drawn.bars).to.equal(report.timeline.confirmedWrites.length);
    expect(drawn.events.map((e) => e.label)).to.have.length(
        1 + report.timeline.sentinelSwitches.length + (t.oldMasterRejoinedMs === undefined ? 0 : 1),
    );
    expect(drawn.legend).to.include.members([
        eventLabel.outage,
        ...report.timeline.sentinelSwitches.map((w) => eventLabel.switched(w.sentinel)),
        ...(t.oldMasterRejoinedMs === undefined ? [] : [eventLabel.rejoined(report.oldMaster)]),
    ]);
    // The outage band sits at the measured time on the axis as the browser drew it. 1.5 px: Vega
    // draws axis ticks half a pixel off for crisp lines; a band a tenth of a second off is 4 px away.
    const x = timeScaleOf(drawn.ticks);
    const from = t.longestWriteGapStartMs / 1000;
    const to = (t.longestWriteGapStartMs + t.longestWriteGapMs) / 1000;
    expect(drawn.outage, "the outage band").to.not.equal(undefined);
    expect(drawn.outage!.left).to.be.closeTo(x(from), 1.5);
    expect(drawn.outage!.right).to.be.closeTo(x(to), 1.5);
    expect(drawn.outage!.height).to.be.greaterThan(200);
    // And so does every Sentinel's switch and the old master's rejoin.
    const at = (label: string) => drawn.events.find((e) => e.label.endsWith(`event: ${label}`))?.x;
    for (const w of report.timeline.sentinelSwitches)
        expect(at(eventLabel.switched(w.sentinel)), w.sentinel).to.be.closeTo(x(w.atMs / 1000), 1.5);
    if (t.oldMasterRejoinedMs !== undefined)
        expect(at(eventLabel.rejoined(report.oldMaster))).to.be.closeTo(x(t.oldMasterRejoinedMs / 1000), 1.5);
}
