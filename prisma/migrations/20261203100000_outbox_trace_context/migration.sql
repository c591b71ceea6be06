-- An outbox row carries the trace of the work that wrote it (W3C traceparent/tracestate), so the
-- relay's publish - in whichever gateway, whenever - continues that trace. Null while tracing is off.

-- AlterTable
ALTER TABLE "outbox" ADD COLUMN "trace_context" JSONB;
