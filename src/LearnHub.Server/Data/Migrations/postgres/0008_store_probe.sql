-- Readiness writes here every few seconds (Faults/StoreHealth.cs): one row, rewritten in place, so the probe is a real
-- write that never grows the store. It names the node that wrote last and when.
CREATE TABLE store_probe (
    id           integer PRIMARY KEY CHECK (id = 1),
    node         text NOT NULL,
    probed_at_ms bigint NOT NULL
);
