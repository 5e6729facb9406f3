-- Expand: when an order was placed. The default fills it in for the rows that exist and for
-- every INSERT that does not name it, so the previous release (which does not know the column)
-- keeps placing orders while this release rolls out.
ALTER TABLE orders ADD COLUMN placed_at timestamptz NOT NULL DEFAULT now();
