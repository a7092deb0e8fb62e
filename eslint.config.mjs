import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

// Imports run one way, from the bottom up (docs/architecture.md):
//   settings <- render <- contracts <- components
//                                   <- ops (redis, docker, deadline <- warm <- verify <- cluster <- drill, backup)
//                                   <- cli
// Each zone lists what its folder may NOT import; a wrong-way import fails `npm run lint`.
const TOP = ["./index.ts", "./cli", "./bench", "./tests", "./scripts"];
const layers = [
    // contracts/env.ts names the environment variables and imports nothing: every layer may use it.
    { target: "./settings", from: ["./render", "./components", "./ops", ...TOP] },
    { target: "./settings", from: "./contracts", except: ["./env.ts"] },
    { target: "./render", from: ["./components", "./ops", ...TOP] },
    { target: "./render", from: "./contracts", except: ["./env.ts"] },
    { target: "./contracts", from: ["./components", "./ops", ...TOP] },
    // Pulumi components declare resources; they never import the tools that talk to live servers.
    { target: "./components", from: ["./ops", ...TOP] },
    { target: "./ops", from: ["./components", ...TOP] },
    // The program, like its components, declares resources and reaches the tools only as commands.
    { target: "./index.ts", from: ["./ops", "./cli", "./bench", "./tests", "./scripts"] },
    {
        target: ["./ops/redis", "./ops/docker", "./ops/deadline.ts"],
        from: ["./ops/warm", "./ops/verify", "./ops/cluster", "./ops/drill", "./ops/backup", "./ops/users", "./ops/post-deploy.ts"],
    },
    // The users migration and rotation stand beside the other operations; none of them needs it.
    { target: ["./ops/warm", "./ops/verify", "./ops/cluster", "./ops/drill", "./ops/backup", "./ops/post-deploy.ts"], from: "./ops/users" },
    { target: "./ops/warm", from: ["./ops/verify", "./ops/cluster", "./ops/drill", "./ops/backup", "./ops/post-deploy.ts"] },
    { target: "./ops/verify", from: ["./ops/cluster", "./ops/drill", "./ops/backup", "./ops/post-deploy.ts"] },
    { target: "./ops/cluster", from: ["./ops/drill", "./ops/backup", "./ops/post-deploy.ts"] },
    { target: ["./ops/drill", "./ops/backup"], from: ["./ops/post-deploy.ts"] },
    { target: "./cli", from: ["./components", "./index.ts", "./bench", "./tests", "./scripts"] },
    // Benchmarks measure the product's logic, not its command-line wrappers.
    { target: "./bench", from: ["./cli", "./components", "./index.ts", "./scripts"] },
    { target: "./tests/support", from: ["./tests/unit", "./tests/host", "./tests/live"] },
];

export default tseslint.config(
    { ignores: ["node_modules/", "rendered/"] },
    js.configs.recommended,
    ...tseslint.configs.strict,
    {
        rules: {
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["**/*.ts"],
        plugins: { "import-x": importX },
        settings: {
            "import-x/resolver": { node: { extensions: [".ts", ".js", ".json"] } },
            // no-cycle reads the imported files too: with TypeScript's parser, or it sees nothing.
            "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
            "import-x/extensions": [".ts", ".js"],
        },
        rules: {
            "import-x/no-restricted-paths": [
                "error",
                { zones: layers.map((z) => ({ ...z, message: "imports run one way (docs/architecture.md)" })) },
            ],
            "import-x/no-cycle": ["error", { ignoreExternal: true }],
        },
    },
    {
        files: ["**/*.cjs"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", console: "readonly" } },
    },
    {
        files: ["tests/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off", "@typescript-eslint/no-non-null-assertion": "off" },
    },
);
