/**
 * English issue messages for `zod/mini` schemas. Classic zod registers its English locale when it builds
 * its first schema; `zod/mini` registers none, so once classic zod is out of a bundle every issue would
 * read "Invalid input" (the API's 400 details, a service answer we refuse, a task's input). The modules
 * that report issues import this one for its effect. The locale comes by its own path: `z.locales.en()`
 * would bundle every locale zod ships (~265 KB); this is ~3 KB.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
