// Relative links of the Markdown docs: each must name a file of the project, and an anchor must
// name a heading (or an explicit id) of the Markdown file it points to. Pure: the files come in
// through `project`, so a test can check real files and made-up ones alike.
import * as path from "node:path";
import { anchorsOf, outsideCodeBlocks } from "./markdown";

export interface BrokenLink {
    /** The Markdown file holding the link, relative to the project. */
    readonly file: string;
    readonly line: number;
    readonly target: string;
    readonly reason: string;
}

export interface ProjectFiles {
    /** Whether a file or folder exists, by its path relative to the project. */
    exists(relativePath: string): boolean;
    /** A file's text, by its path relative to the project (only Markdown files are asked for). */
    read(relativePath: string): string;
}

/** Link targets of one line of Markdown prose: inline links and images, and reference definitions. */
export function linkTargets(line: string): string[] {
    const prose = line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, "");
    const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    return definition ? [...inline, definition[1]] : inline;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** Every relative link of `files` (paths relative to the project) that does not resolve. */
export function findBrokenLinks(files: readonly string[], project: ProjectFiles): BrokenLink[] {
    const broken: BrokenLink[] = [];
    const anchors = new Map<string, Set<string>>();
    const anchorsIn = (file: string) => {
        let found = anchors.get(file);
        if (!found) anchors.set(file, (found = anchorsOf(project.read(file))));
        return found;
    };
    for (const file of files) {
        outsideCodeBlocks(project.read(file)).forEach((text, index) => {
            for (const target of linkTargets(text)) {
                if (isExternal(target)) continue;
                const report = (reason: string) => broken.push({ file, line: index + 1, target, reason });
                const [rawPath, anchor] = target.split("#", 2);
                const linked = rawPath ? path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(rawPath))) : file;
                if (linked.startsWith("../") || path.posix.isAbsolute(linked)) {
                    report("points outside the project");
                } else if (!project.exists(linked)) {
                    report(`${linked} does not exist`);
                } else if (anchor !== undefined && linked.endsWith(".md") && !anchorsIn(linked).has(anchor)) {
                    report(`${linked} has no heading with the anchor #${anchor}`);
                }
            }
        });
    }
    return broken;
}
