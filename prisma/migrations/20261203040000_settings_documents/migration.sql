-- Settings as shared state: one document per scope (a deployment, or one test file), versioned,
-- with the provider keys encrypted (AES-256-GCM, key from SOMA_SETTINGS_KEY) when a key is set.
CREATE TABLE "settings_documents" (
    "scope" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "keys_sealed" TEXT,
    "updated_by" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settings_documents_pkey" PRIMARY KEY ("scope")
);
