-- The end of every turn marks its messages complete by turn_id, in the transaction that ends it,
-- and deleting a turn unlinks its messages by turn_id. Without this index both scan the whole
-- table, holding that transaction and its connection longer with every message stored: 26 ms at
-- 87,000 messages, and the scale-out bench queued behind it (docs/performance.md).
-- A plain CREATE INDEX blocks writes to messages while it builds: seconds per million rows.

-- CreateIndex
CREATE INDEX "messages_turn_id_idx" ON "messages"("turn_id");
