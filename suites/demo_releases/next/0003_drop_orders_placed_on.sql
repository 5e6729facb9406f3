-- pyramid: contract
-- The next release's contract step (canary_demo.py, step 5b): orders.placed_on (the day only)
-- was replaced by placed_at in 0002; the serving release neither reads nor writes it, so its
-- integration tier passes on the schema without it. Dropping a column cannot be undone by the
-- release before, so the deploy asks for an approval and takes a pg_dump backup first.
ALTER TABLE orders DROP COLUMN placed_on;
