-- Readiness writes here every few seconds (Faults/StoreHealth.cs): one row, rewritten in place, so the probe is a real
-- write that never grows the store. It names the node that wrote last and when.
CREATE TABLE store_probe (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    node         TEXT NOT NULL,
    probed_at_ms INTEGER NOT NULL
);
