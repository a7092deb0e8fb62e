// Small Markdown helpers shared by the reference generators and the link check. Pure, except
// formatMarkdown, which asks Prettier (with the project's settings) so that a generated file is
// exactly what `npm run lint` accepts.
import * as prettier from "prettier";

/** A table cell: pipes escaped, line breaks folded into spaces. */
export const cell = (text: string): string => text.replace(/\r?\n\s*/g, " ").replace(/\|/g, "\\|");

/** A GitHub-flavoured table (Prettier aligns the columns). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Inline code, with enough backticks around it for the text's own. */
export function code(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(longest + 1);
    return longest ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A word holding a `<placeholder>`, which Markdown would read as an HTML tag and hide. */
const PLACEHOLDER_WORD = /(^|[\s(])([^\s()`]*<[^\s>]+>[^\s()`]*?)([.,;:]?)(?=$|[\s)])/g;
/** An environment variable's name, such as `REDIS_PASSWORD`. */
const ENV_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/**
 * Plain text as Markdown prose: words holding a `<placeholder>` and environment variables' names
 * become inline code; text already in backticks is left as it is.
 */
export function prose(text: string): string {
    return text
        .split(/(`[^`]*`)/)
        .map((part, i) =>
            i % 2 === 1
                ? part
                : part
                      .replace(ENV_NAME, (name) => code(name))
                      .replace(PLACEHOLDER_WORD, (_m, before: string, word: string, after: string) => `${before}${code(word)}${after}`),
        )
        .join("");
}

/** A line that starts a sentence of its own after one that ended: a new paragraph in help text. */
const startsSentence = (previous: readonly string[], line: string): boolean =>
    /^[A-Z]/.test(line) && /[.:>]$/.test(previous[previous.length - 1]);

/**
 * Help text written for a terminal (hard line breaks, indented `-` and `1.` lists) as Markdown:
 * paragraphs joined into one line each, list items kept as items, blocks apart.
 */
export function helpTextAsMarkdown(text: string): string {
    const blocks: { kind: "paragraph" | "item"; marker: string; lines: string[]; indent: number }[] = [];
    for (const raw of text.trim().split("\n")) {
        const indent = raw.length - raw.trimStart().length;
        const line = raw.trim();
        if (!line) continue;
        const item = /^(-|\d+\.)\s+(.*)$/.exec(line);
        const last = blocks[blocks.length - 1];
        if (item) {
            blocks.push({ kind: "item", marker: item[1], lines: [item[2]], indent });
        } else if (last && (last.kind === "paragraph" ? indent === 0 && !startsSentence(last.lines, line) : indent > last.indent)) {
            last.lines.push(line);
        } else {
            blocks.push({ kind: "paragraph", marker: "", lines: [line], indent });
        }
    }
    const out: string[] = [];
    blocks.forEach((block, i) => {
        const text = prose(block.lines.join(" "));
        const previous = blocks[i - 1];
        if (previous && !(block.kind === "item" && previous.kind === "item")) out.push("");
        out.push(block.kind === "item" ? `${block.marker} ${text}` : text);
    });
    return out.join("\n");
}

/** The anchor GitHub gives a heading's text (github-slugger's rule, without the duplicate suffix). */
export function slug(heading: string): string {
    return heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/[`*]/g, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
        .replace(/ /g, "-");
}

/** Text outside fenced code blocks, line by line (fenced lines become empty, so line numbers hold). */
export function outsideCodeBlocks(markdown: string): string[] {
    let fence: string | undefined;
    return markdown.split("\n").map((line) => {
        const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
        if (fence) {
            if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length && line.trim() === opening[1]) fence = undefined;
            return "";
        }
        if (opening) {
            fence = opening[1];
            return "";
        }
        return line;
    });
}

/** Every anchor a Markdown file offers: its headings' slugs (with GitHub's -1, -2 for repeats) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    for (const line of outsideCodeBlocks(markdown)) {
        const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
        if (heading) {
            const base = slug(heading[1]);
            const count = seen.get(base) ?? 0;
            seen.set(base, count + 1);
            anchors.add(count ? `${base}-${count}` : base);
        }
        for (const id of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id[1]);
    }
    return anchors;
}

/** Formats Markdown as `prettier --write` would for a file at `filePath` (the project's .prettierrc applies). */
export async function formatMarkdown(markdown: string, filePath: string): Promise<string> {
    const options = (await prettier.resolveConfig(filePath)) ?? {};
    return prettier.format(markdown, { ...options, filepath: filePath });
}
