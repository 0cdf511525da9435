/**
 * What a simulated Cloudgene 3 server offers: reference panels per instance (Michigan-, TOPMed- and
 * H3Africa-like) with the build and QC minimum their results follow, the imputationserver2 parameter
 * list in the exact shape the real servers send (app_list, binded_list, list, checkbox), and a fixed
 * listing of seeded result files for tests of transfers (a job's own results are made from its input:
 * job-results.ts).
 */

export interface PanelDefinition {
  /** `apps@<panel>@<version>`, as the service lists it. */
  id: string;
  label: string;
  /** The `population` choices bound to this panel. */
  populations: { id: string; label: string }[];
  /** The panel's genome build: results are named in it (`chr20` for hg38, `20` for hg19). Default hg19. */
  build?: 'hg19' | 'hg38';
  /** QC: a chunk with fewer sites that pass is excluded (imputationserver's `minSnps`). Default 3. */
  minSnps?: number;
}

export interface ResultFileSpec {
  /** May contain a sub-folder, e.g. `statistics/lift-over.txt`. */
  name: string;
  /**
   * Bytes; contents are generated on the fly from a seed (result-bytes.ts), so GBs cost no memory. A job's
   * own results (no `resultFiles` configured) are real files instead.
   */
  size: number;
  /** Serve through a 302 to a presigned-looking URL, as TOPMed does with S3 (default: the server's `redirectDownloads`). */
  redirect?: boolean;
  /** Output parameter it is listed under (default `output`; logs go under `cloudgene_logs`). */
  param?: string;
  /**
   * Listed, but the share route answers 404 with this message, as real services do for a file whose
   * hash is not in the download table ("download not found.") or that left the workspace
   * ("File not found in workspace.").
   */
  unavailable?: string;
}

/**
 * Output parameters only admin accounts see (Cloudgene 3 `JobResponse.build`): their files are listed to
 * admins but are not meant for the share route, which answers 404 for them.
 */
export const ADMIN_ONLY_PARAMS: ReadonlySet<string> = new Set(['cloudgene_logs']);

const population = (id: string, label = id.toUpperCase()) => ({ id, label });

export const MICHIGAN_PANELS: PanelDefinition[] = [
  {
    id: 'apps@1000g-phase-3-v5@2.0.0',
    label: '1000G Phase 3 (GRCh37/hg19)',
    populations: [
      population('afr'),
      population('amr'),
      population('eur'),
      population('eas'),
      population('sas'),
      population('mixed', 'Mixed'),
      population('off', 'Off'),
    ],
  },
  {
    id: 'apps@hapmap-2@2.0.0',
    label: 'HapMap 2',
    populations: [population('eur'), population('off', 'Off')],
  },
  {
    id: 'apps@hrc-r1.1@2.0.0',
    label: 'HRC r1.1 2016 (GRCh37/hg19)',
    populations: [population('eur'), population('mixed', 'Mixed'), population('off', 'Off')],
  },
];

/** Kept under its first name for existing callers. */
export const DEFAULT_PANELS = MICHIGAN_PANELS;

export const TOPMED_PANELS: PanelDefinition[] = [
  {
    id: 'apps@topmed-r3@1.0.0',
    label: 'TOPMed (Version R3 on GRCh38)',
    populations: [population('all', 'All'), population('off', 'Off')],
    build: 'hg38',
    minSnps: 20,
  },
];

export const H3AFRICA_PANELS: PanelDefinition[] = [
  {
    id: 'apps@h3africa-v6hc-s@1.0.0',
    label: 'H3Africa Reference Panel (v6) hg38',
    populations: [population('afr'), population('mixed', 'Mixed'), population('off', 'Off')],
    build: 'hg38',
  },
];

/**
 * A fixed listing of seeded files shaped like a job's results — four to copy (one in a sub-folder, one
 * behind a redirect) and the admin-only log — for tests of transfers that set `resultFiles` explicitly.
 */
export const SEEDED_RESULT_FILES: ResultFileSpec[] = [
  { name: 'chr_20.zip', size: 256 * 1024 + 17 },
  { name: 'qc_report.txt', size: 760 },
  { name: 'statistics/lift-over.txt', size: 1200 },
  { name: 'quality-control.html', size: 4096, redirect: true },
  { name: 'job.txt', size: 300, param: 'cloudgene_logs' },
];

/**
 * @deprecated Kept under its first name for existing callers; it is no longer what a job lists by
 * default (a job's own results are made from its input). Use `SEEDED_RESULT_FILES`.
 */
export const DEFAULT_RESULT_FILES = SEEDED_RESULT_FILES;

/** The server's panel a job names (`apps@x` or `apps@x@version`), if it has it. */
export function findPanel(panels: readonly PanelDefinition[], panelId: string): PanelDefinition | undefined {
  const unversioned = (id: string) => id.replace(/^(apps@[^@]+)@.*$/, '$1');
  return panels.find((p) => p.id === panelId || unversioned(p.id) === unversioned(panelId));
}

export function hasPanel(panels: readonly PanelDefinition[], panelId: string): boolean {
  return findPanel(panels, panelId) !== undefined;
}

/** The panel's build and QC minimum, with the defaults filled in. */
export function panelBuild(panel: PanelDefinition): 'hg19' | 'hg38' {
  return panel.build ?? 'hg19';
}

export function panelMinSnps(panel: PanelDefinition): number {
  return panel.minSnps ?? 3;
}

/** `1000g-phase-3-v5` of `apps@1000g-phase-3-v5@2.0.0`, as the services name a panel in messages. */
export function panelName(panel: PanelDefinition): string {
  return panel.id.replace(/^apps@/, '').replace(/@[^@]*$/, '');
}

/** Instance-like settings: pass one to startCloudgeneSimulator (and override what a test needs). */
export const SIMULATOR_PRESETS = {
  michigan: {
    panels: MICHIGAN_PANELS,
    concurrencyLimit: 2,
    maxDownloadsPerFile: 10,
    redirectDownloads: false,
  },
  topmed: { panels: TOPMED_PANELS, concurrencyLimit: 3, maxDownloadsPerFile: 10, redirectDownloads: true },
  h3africa: {
    panels: H3AFRICA_PANELS,
    concurrencyLimit: 2,
    maxDownloadsPerFile: 10,
    redirectDownloads: false,
  },
} satisfies Record<
  string,
  {
    panels: PanelDefinition[];
    concurrencyLimit: number;
    maxDownloadsPerFile: number;
    redirectDownloads: boolean;
  }
>;

export type SimulatorPresetName = keyof typeof SIMULATOR_PRESETS;

/** A Cloudgene 3 app parameter as `GET /api/v2/server/apps/{id}` lists it. */
export interface AppParam {
  id: string;
  type: string;
  description?: string;
  value?: string;
  visible?: boolean;
  bind?: string;
  values?: unknown[];
}

const checkbox = (id: string, description: string): AppParam => ({
  id,
  type: 'checkbox',
  description,
  value: 'no',
  values: [
    { key: 'true', value: 'yes' },
    { key: 'false', value: 'no' },
  ],
});

/**
 * The imputationserver2 parameter list. The server accepts exactly these fields in a submission (plus
 * `job-name`), so leaving one out (`withoutParams`) reproduces an app version that rejects it.
 */
export function appParams(panels: PanelDefinition[], withoutParams: readonly string[] = []): AppParam[] {
  const params: AppParam[] = [
    { id: 'files', type: 'local_folder', description: 'Input Files (VCF)' },
    {
      id: 'refpanel',
      type: 'app_list',
      description: 'Reference Panel',
      value: panels[0]?.id,
      values: panels.map((p) => ({ key: p.id, value: p.label })),
    },
    {
      id: 'build',
      type: 'list',
      description: 'Array Build',
      value: 'hg19',
      values: [
        { key: 'hg19', value: 'GRCh37/hg19' },
        { key: 'hg38', value: 'GRCh38/hg38' },
      ],
    },
    {
      id: 'r2Filter',
      type: 'list',
      description: 'rsq Filter',
      value: '0',
      values: ['0', '0.001', '0.1', '0.2', '0.3'].map((key) => ({ key, value: key === '0' ? 'off' : key })),
    },
    {
      id: 'phasing',
      type: 'list',
      description: 'Phasing',
      value: 'eagle',
      values: [
        { key: 'eagle', value: 'Eagle v2.4 (phased output)' },
        { key: 'beagle', value: 'Beagle 5.4 (phased output)' },
        { key: 'no_phasing', value: 'No phasing' },
      ],
    },
    {
      id: 'population',
      type: 'binded_list',
      description: 'Population',
      bind: 'refpanel',
      values: panels.map((p) => ({
        key: p.id,
        label: p.label,
        values: p.populations.map((pop) => ({ key: pop.id, value: pop.label })),
      })),
    },
    {
      id: 'mode',
      type: 'list',
      description: 'Mode',
      value: 'imputation',
      values: [
        { key: 'qc_only', value: 'Quality Control Only' },
        { key: 'imputation', value: 'Quality Control & Imputation' },
      ],
    },
    checkbox('aesEncryption', 'AES 256 encryption'),
    checkbox('meta', 'Generate Meta-imputation file'),
    { id: 'password', type: 'text', description: 'Password', visible: false },
  ];
  return params.filter((p) => !withoutParams.includes(p.id));
}
