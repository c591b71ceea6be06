// The backup store on S3 (SeaweedFS, started by scripts/test.sh): a file over the multipart limit
// goes up in parts and comes back byte for byte; one under it in a single PUT; a part that fails
// aborts the upload, leaving neither the object nor its parts. (The restore drill,
// backup-restore.int.test.ts, covers the rest.)
import { createHash, randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { codeDefaults } from "@/lib/config/schema";
import { S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV, S3Store } from "@/lib/backup/s3-store";

const S3_ENDPOINT = process.env.SOMA_TEST_S3_ENDPOINT ?? "";
const S3_CREDENTIALS = process.env.SOMA_TEST_S3_CREDENTIALS ?? "";
if (S3_ENDPOINT === "" || S3_CREDENTIALS === "")
  throw new Error(
    "s3-store: SOMA_TEST_S3_ENDPOINT and SOMA_TEST_S3_CREDENTIALS are not set (scripts/test.sh starts SeaweedFS and sets them)",
  );

const MIB = 1024 * 1024;
const conf = { ...codeDefaults.backup, s3Endpoint: S3_ENDPOINT, s3ForcePathStyle: true };
const url = `s3://somaagent-test/s3-store-${randomUUID()}`;
let dir: string;
let store: S3Store;

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

beforeAll(() => {
  for (const line of fs.readFileSync(S3_CREDENTIALS, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) process.env[line.slice(0, at)] = line.slice(at + 1);
  }
  expect(process.env[S3_ACCESS_KEY_ENV]).toBeTruthy();
  expect(process.env[S3_SECRET_KEY_ENV]).toBeTruthy();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3-store-"));
  // Parts of 5 MiB (S3's least) from 6 MiB on, so a 12 MiB file takes three.
  store = new S3Store(url, conf, { multipartFromBytes: 6 * MIB, partBytes: 5 * MIB });
});

afterAll(async () => {
  await store?.remove("b1").catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A client of our own, to look at the bucket past the store. */
const client = () =>
  new S3Client({
    endpoint: S3_ENDPOINT,
    region: conf.s3Region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env[S3_ACCESS_KEY_ENV]!,
      secretAccessKey: process.env[S3_SECRET_KEY_ENV]!,
    },
  });

describe("the S3 backup store", () => {
  it("uploads a large file in parts and a small one whole; both come back the same", async () => {
    const big = path.join(dir, "big.dump");
    fs.writeFileSync(big, randomBytes(12 * MIB + 12_345)); // three parts, the last a short one
    const small = path.join(dir, "manifest.json");
    fs.writeFileSync(small, JSON.stringify({ hello: "world" }));
    await store.put("b1", "big.dump", big);
    await store.put("b1", "manifest.json", small);

    expect(await store.list()).toEqual([{ id: "b1", finished: true }]);
    // A multipart object's ETag ends in its number of parts; a single PUT's has none.
    const s3 = client();
    const etag = async (name: string) =>
      (
        await s3.send(
          new HeadObjectCommand({ Bucket: "somaagent-test", Key: `${url.split("/").pop()}/b1/${name}` }),
        )
      ).ETag;
    expect(await etag("big.dump")).toMatch(/-3"$/);
    expect(await etag("manifest.json")).not.toMatch(/-\d+"$/);
    const back = path.join(dir, "big.back");
    await store.get("b1", "big.dump", back);
    expect(fs.statSync(back).size).toBe(fs.statSync(big).size);
    expect(sha(back)).toBe(sha(big));
    await store.get("b1", "manifest.json", path.join(dir, "manifest.back"));
    expect(fs.readFileSync(path.join(dir, "manifest.back"), "utf8")).toBe('{"hello":"world"}');
  });

  it("aborts an upload whose part fails: no object, no parts left behind", async () => {
    const failing = new S3Store(url, conf, { multipartFromBytes: 6 * MIB, partBytes: 5 * MIB });
    // The store's own client, made to fail its second part before sending it (S3 itself answers
    // everything else: the upload's start, the first part, the abort).
    const storeClient = (failing as unknown as { client: S3Client }).client;
    storeClient.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number };
        if (context.commandName === "UploadPartCommand" && input.PartNumber === 2)
          throw new Error("the network went away");
        return next(args);
      },
      { step: "initialize", name: "failSecondPart" },
    );
    const big = path.join(dir, "torn.dump");
    fs.writeFileSync(big, randomBytes(11 * MIB));
    await expect(failing.put("b2", "torn.dump", big)).rejects.toThrow(/part 2\) failed: .*network went away/);

    const s3 = client();
    const prefix = `${url.split("/").pop()}/b2/`;
    const pending = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: "somaagent-test", Prefix: prefix }),
    );
    expect(pending.Uploads ?? []).toEqual([]);
    expect(await failing.has("b2", "torn.dump")).toBe(false);
  });
});
