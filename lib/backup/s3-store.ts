// Backups in S3 or an S3-compatible store (SeaweedFS in development and tests; MinIO is AGPL and not
// used here). s3://bucket/prefix: each backup is the key prefix <prefix>/<id>/. The keys are secrets
// (SOMA_BACKUP_S3_ACCESS_KEY_ID, SOMA_BACKUP_S3_SECRET_ACCESS_KEY), read here and never logged;
// without them the SDK's own chain applies (AWS_* variables, an instance or pod role).
import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { readSecret, type Settings } from "../config";
import { MANIFEST_FILE } from "./manifest";
import type { BackupStore } from "./store";

export const S3_ACCESS_KEY_ENV = "SOMA_BACKUP_S3_ACCESS_KEY_ID";
export const S3_SECRET_KEY_ENV = "SOMA_BACKUP_S3_SECRET_ACCESS_KEY";

export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`${url} is not an s3://bucket/prefix URL`);
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

/** How big a file goes up in parts: one PUT takes at most 5 GB, and a lost connection costs a part. */
export interface S3UploadOptions {
  /** Files larger than this are uploaded in parts (default 64 MiB). */
  multipartFromBytes?: number;
  /** The size of each part but the last (default 64 MiB; S3's least is 5 MiB; grown to fit 10,000). */
  partBytes?: number;
}

const MIB = 1024 * 1024;
const MAX_PARTS = 10_000; // S3's limit per upload

export class S3Store implements BackupStore {
  readonly location: string;
  private readonly multipartFrom: number;
  private readonly partBytes: number;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(url: string, conf: Settings["backup"], upload: S3UploadOptions = {}) {
    this.multipartFrom = upload.multipartFromBytes ?? 64 * MIB;
    this.partBytes = Math.max(5 * MIB, upload.partBytes ?? 64 * MIB);
    const { bucket, prefix } = parseS3Url(url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
    const accessKeyId = readSecret(S3_ACCESS_KEY_ENV);
    const secretAccessKey = readSecret(S3_SECRET_KEY_ENV);
    if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
      throw new Error(`set both ${S3_ACCESS_KEY_ENV} and ${S3_SECRET_KEY_ENV}, or neither`);
    this.client = new S3Client({
      region: conf.s3Region,
      ...(conf.s3Endpoint ? { endpoint: conf.s3Endpoint } : {}),
      forcePathStyle: conf.s3ForcePathStyle,
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      // Checksums only where S3 requires them: S3-compatible stores differ in the newer trailers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 5,
    });
  }

  private key(id: string, name?: string): string {
    return [this.prefix, id, name].filter(Boolean).join("/") + (name ? "" : "/");
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failure(what, err);
    }
  }

  /** The SDK's error with where and what: its name and HTTP status say why (the keys never appear). */
  private failure(what: string, err: unknown): Error {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return new Error(
      `${this.location}: ${what} failed: ${e.name}${status ? ` (HTTP ${status})` : ""}: ${e.message}`,
      {
        cause: err,
      },
    );
  }

  async list(): Promise<{ id: string; finished: boolean }[]> {
    const ids = new Map<string, boolean>();
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix ? `${this.prefix}/` : undefined,
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        // No bucket yet: no backups. (The first upload creates it where the store allows that.)
        if ((err as Error).name === "NoSuchBucket") return [];
        throw this.failure("listing backups", err);
      }
      for (const o of page.Contents ?? []) {
        const rest = (o.Key ?? "").slice(this.prefix ? this.prefix.length + 1 : 0).split("/");
        if (rest.length !== 2 || !rest[0]) continue;
        ids.set(rest[0], (ids.get(rest[0]) ?? false) || rest[1] === MANIFEST_FILE);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...ids].map(([id, finished]) => ({ id, finished }));
  }

  async put(id: string, name: string, localFile: string): Promise<void> {
    const { size } = await fs.promises.stat(localFile);
    if (size > this.multipartFrom) return this.putInParts(id, name, localFile, size);
    await this.call(`uploading ${id}/${name}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(id, name),
          Body: fs.createReadStream(localFile),
          ContentLength: size,
        }),
      ),
    );
  }

  /** A multipart upload, part after part; aborted (its parts deleted) if any part fails. */
  private async putInParts(id: string, name: string, localFile: string, size: number): Promise<void> {
    const target = { Bucket: this.bucket, Key: this.key(id, name) };
    const partSize = Math.max(this.partBytes, Math.ceil(size / MAX_PARTS));
    const { UploadId } = await this.call(`starting the upload of ${id}/${name}`, () =>
      this.client.send(new CreateMultipartUploadCommand(target)),
    );
    try {
      const parts: { ETag?: string; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(size, start + partSize);
        const { ETag } = await this.call(`uploading ${id}/${name} (part ${n})`, () =>
          this.client.send(
            new UploadPartCommand({
              ...target,
              UploadId,
              PartNumber: n,
              Body: fs.createReadStream(localFile, { start, end: end - 1 }),
              ContentLength: end - start,
            }),
          ),
        );
        parts.push({ ETag, PartNumber: n });
      }
      await this.call(`finishing the upload of ${id}/${name}`, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }),
        ),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  async get(id: string, name: string, localFile: string): Promise<void> {
    const res = await this.call(`downloading ${id}/${name}`, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id, name) })),
    );
    await pipeline(res.Body as Readable, fs.createWriteStream(localFile, { mode: 0o600 }));
  }

  async has(id: string, name: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(id, name) }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return false;
      throw this.failure(`looking for ${id}/${name}`, err);
    }
  }

  async remove(id: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.call(`listing ${id}`, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(id), ContinuationToken: token }),
        ),
      );
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length)
        await this.call(`deleting ${id}`, () =>
          this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } })),
        );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
