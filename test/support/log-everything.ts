/**
 * Every log level on, for tests that search what the functions log (the suite runs SILENT otherwise).
 * Powertools reads its level once, when the logger is built at import time, so a test file imports this
 * module first, as a bare import before any module that logs.
 */
import { environmentFor } from '#shared/settings';

Object.assign(process.env, environmentFor({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }));
