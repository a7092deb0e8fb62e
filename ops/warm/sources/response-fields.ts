import { z } from "zod";

/** Optional fields of a store response, read the same way for both stores. */

/** A string, with null, absent and "" all meaning "not given". */
export const optionalText = z
    .string()
    .nullish()
    .transform((v) => v || undefined);

/** A number, with null and absent meaning "not given" (0 stays 0). */
export const optionalNumber = z
    .number()
    .nullish()
    .transform((v) => v ?? undefined);
