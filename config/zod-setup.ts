/**
 * zod compiles each object schema into a parser with `new Function` on its first use, which pays
 * off only for many parses; synthesis parses two small files once, so the compile costs more than
 * it saves (~20 ms of a ~0.5 s run, measured with bench/). Imported by each module that parses.
 * @see https://zod.dev/api?id=jitless (z.config)
 */
import { z } from 'zod';

z.config({ jitless: true });
