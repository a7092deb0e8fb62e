import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { Snapshot, SnapshotApp } from "../tests/support/fake-stores";

/** App ids of the synthetic stores: numeric track ids for the App Store, package names for the Play Store. */
export const appStoreId = (i: number): string => String(1_000_000_000 + i);
export const playStoreId = (i: number): string => `com.bench.app${i}`;

const WORDS = "capture share edit sync offline secure fast simple private family photos notes music travel daily".split(" ");

/**
 * An app as the stores describe one, in size and form: App Store screenshots as long mzstatic
 * URLs (iPhone and iPad), Play Store ones as play-lh URLs, and a description the warmer caps.
 */
export function syntheticApp(store: "appstore" | "playstore", appId: string, i: number): SnapshotApp {
    const shots =
        store === "appstore"
            ? Array.from(
                  { length: 8 },
                  (_, s) =>
                      `https://is${1 + (s % 5)}-ssl.mzstatic.com/image/thumb/PurpleSource${100 + (i % 90)}/v4/${(i * 7 + s).toString(16).padStart(8, "0")}/${appId}-screen-${s}.png/${s < 5 ? "392x696" : "576x768"}bb.png`,
              )
            : Array.from(
                  { length: 6 },
                  (_, s) =>
                      `https://play-lh.googleusercontent.com/${appId.replace(/\./g, "_")}-${s}-${(i * 31 + s).toString(36)}=w526-h296`,
              );
    const description = Array.from({ length: 120 }, (_, w) => WORDS[(i + w * 7) % WORDS.length]).join(" ");
    return {
        screenshots: shots,
        metadata: {
            name: `Bench App ${i}`,
            developer: `Bench Developer ${i % 97}`,
            iconUrl:
                store === "appstore"
                    ? `https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/${appId}/AppIcon.png/512x512bb.jpg`
                    : `https://play-lh.googleusercontent.com/${appId}-icon=s512`,
            rating: 3 + (i % 20) / 10,
            ratingCount: 1000 + i * 13,
            genre: "Productivity",
            price: i % 10 === 0 ? 2.99 : 0,
            currency: "USD",
            storeUrl:
                store === "appstore"
                    ? `https://apps.apple.com/us/app/id${appId}`
                    : `https://play.google.com/store/apps/details?id=${appId}`,
            description,
        },
    };
}

/** Writes one `.jsonl` snapshot per store of `appsPerStore` apps, line by line (the generator holds none of it). */
export async function writeJsonlSnapshots(files: Record<"appstore" | "playstore", string>, appsPerStore: number): Promise<void> {
    for (const store of ["appstore", "playstore"] as const) {
        const out = createWriteStream(files[store]);
        for (let i = 0; i < appsPerStore; i++) {
            const appId = store === "appstore" ? appStoreId(i) : playStoreId(i);
            if (!out.write(`${JSON.stringify({ store, appId, ...syntheticApp(store, appId, i) })}\n`)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
    }
}

/** The fake stores' data for the upstream benchmark: `appsPerStore` apps, the first `chart` of each in its chart. */
export function syntheticStores(appsPerStore: number, charts: { appstore: number; playstore: number }): Snapshot {
    const store = (name: "appstore" | "playstore", id: (i: number) => string, chart: number) => {
        const ids = Array.from({ length: appsPerStore }, (_, i) => id(i));
        return { top: ids.slice(0, chart), apps: Object.fromEntries(ids.map((appId, i) => [appId, syntheticApp(name, appId, i)])) };
    };
    return {
        stores: {
            appstore: store("appstore", appStoreId, charts.appstore),
            playstore: store("playstore", playStoreId, charts.playstore),
        },
    };
}
