/**
 * Which panels of different services are the same panel (pure: the job view reads it too, so it stays
 * out of the modules that call services).
 */

/**
 * The key under which a panel is grouped with its equivalents at other services: its Cloudgene app id
 * without the `apps@` prefix and without the packaging version (from the next `@` on), in lower case,
 * any character outside `a-z 0-9 . _ -` made a dash. `apps@1000g-phase-3-v5@2.0.0` at one service and
 * `apps@1000g-phase-3-v5@1.0.0` at another are both `1000g-phase-3-v5`.
 *
 * The rule is deliberately conservative. Panel apps are published under one id that every Cloudgene
 * server installing them keeps, and the release of the panel data is part of that id (`-v5`, `-r1.1`,
 * `-r3`), so the same key means the same panel data; only the app's packaging version (`@2.0.0`) is left
 * out, which is also how a job may name a panel without its version. Labels never join panels: services
 * label one panel differently ("1000G Phase 3 (GRCh37/hg19)", "1000 Genomes Phase 3 (Version 5)") and
 * could label different releases alike, so two panels under different ids stay apart even when their
 * labels read the same. A missed equivalence only means a panel is listed twice; a wrong one would run a
 * job on other reference data than asked for.
 */
export function panelKeyOf(panelId: string): string {
  const name = /^(?:apps@)?([^@]+)/i.exec(panelId.trim())?.[1] ?? panelId;
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'panel'
  );
}
