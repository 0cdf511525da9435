/**
 * S3's limits on what one upload may be, and the gateway's defaults derived from them, in one leaf module
 * (no imports) so the settings, the deployment settings, the upload plans and the API document all read
 * the same numbers. S3's figures are from its multipart-upload limits table.
 */
export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;
export const TIB = 1024 ** 4;

/** The largest object one PUT can store. */
export const S3_MAX_SINGLE_PUT_BYTES = 5 * GIB;
/** The largest object S3 stores at all (multipart). */
export const S3_MAX_OBJECT_BYTES = 5 * TIB;
/** Parts of one multipart upload are numbered 1 to 10,000. */
export const S3_MAX_PARTS = 10_000;
/** Every part but the last must be at least this large (EntityTooSmall otherwise). */
export const S3_MIN_PART_BYTES = 5 * MIB;
/** No part may be larger. */
export const S3_MAX_PART_BYTES = 5 * GIB;

/**
 * The default largest upload: 100 GiB. Imputation inputs reach tens of GB (a large cohort's whole-genome
 * chromosome VCF), which the services accept; 100 GiB leaves headroom above that while bounding what one
 * announced upload can cost in storage until it expires. With the 64 MiB default part it is 1,600 parts;
 * a deployment may raise it to S3's 5 TiB object limit (the part size then grows to stay within 10,000
 * parts).
 */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * GIB;

/** The default size above which an upload goes multipart, and the default part size. */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * MIB;
export const DEFAULT_PART_SIZE_BYTES = 64 * MIB;

/**
 * Presigned part URLs one request may ask for. Signing is local and cheap, but each URL is ~1.5 kB and
 * lives only UPLOAD_URL_TTL_SECONDS: 100 parts of 64 MiB (6.4 GiB) are what a browser sends in a few
 * minutes on a good line, so a client asks again as it goes rather than for URLs that expire unused.
 */
export const MAX_PARTS_PER_REQUEST = 100;
