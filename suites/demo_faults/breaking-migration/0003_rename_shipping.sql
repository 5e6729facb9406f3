-- The demo's breaking migration (canary_demo.py, step 4): a rename in one step. The release
-- still serving writes shipping_cents, so its integration tier fails against this schema and
-- `pyramid deploy --migrations demo_faults/breaking-migration` is refused before any traffic
-- moves. Done right, it is three releases: add the new column (expand), write both and read
-- the new one, then drop the old one (contract).
ALTER TABLE orders RENAME COLUMN shipping_cents TO shipping_fee_cents;
