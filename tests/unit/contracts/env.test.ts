import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { APP_TLS_ENV, PASSWORD_ENV, PLAN_ENV, SCRIPT_ENV, SETTINGS_ENV, TLS_ENV, VOLUME_CHECK_ENV } from "../../../contracts/env";
import { PROJECT_DIR } from "../../../settings/stack-file";

/** Every .ts file under `dir`, recursively. */
const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
        const file = path.join(dir, entry);
        return statSync(file).isDirectory() ? sources(file) : file.endsWith(".ts") ? [file] : [];
    });

describe("the environment's names (contracts/env.ts)", () => {
    const names = [
        ...Object.values(PASSWORD_ENV),
        PLAN_ENV,
        ...Object.values(SETTINGS_ENV),
        ...Object.values(SCRIPT_ENV),
        VOLUME_CHECK_ENV,
        TLS_ENV,
        ...Object.values(APP_TLS_ENV),
    ];

    it("are shell identifiers (dash drops variables whose names are not)", () => {
        for (const name of names) expect(name).to.match(/^[A-Z_][A-Z0-9_]*$/);
    });

    it("are spelt out nowhere else in the product code", () => {
        const product = ["cli", "components", "contracts", "ops", "render", "settings"].flatMap((d) => sources(path.join(PROJECT_DIR, d)));
        const own = path.join(PROJECT_DIR, "contracts", "env.ts");
        for (const file of product.filter((f) => f !== own)) {
            const text = readFileSync(file, "utf8");
            for (const name of new Set(names))
                expect(text, path.relative(PROJECT_DIR, file)).to.not.match(new RegExp(`["'\`]${name}["'\`]`));
        }
    });
});
