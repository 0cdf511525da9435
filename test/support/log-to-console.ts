/**
 * Every log level on, written through the global console (Powertools dev mode), for tests that capture
 * `console.*` to search what the functions log. Powertools reads both settings once, when the logger is
 * built at import time: a test file imports this module first, as a bare import.
 */
import { environmentFor } from '#shared/settings';

Object.assign(process.env, environmentFor({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_DEV: 'true' }));
