-- 008_outbox_no_internal.sql - receipts and warehouse events still waiting in the outbox
-- from an earlier release are put into this release's shape before the relay publishes
-- them: nothing internal reaches the declarer or the warehouse (docs/DESIGN.md "Receipts
-- and warehouse events"). Earlier releases put the officer's login ("actor"), the
-- officer's note ("note", also inside a receipt's returnInfo) and the rules version in
-- every payload, and the rules' reasons in warehouse events.
--   receipts: without actor, note, event, from_status_code, rules_version; returnInfo again from the status and the
--             rules' reasons only (customs.return_info, customs.reasons_text);
--   events:   without actor, note, reasons, rules_version; the cause "declared" where an
--             earlier release gave none (a first decision), from_status_code (null then).
-- Published rows are history and stay as they were sent. On a new database there is
-- nothing to rewrite (and the functions are not there yet: the repeatable files come after
-- the numbered migrations), hence the dynamic statement.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM customs.outbox WHERE published_at IS NULL) THEN
        EXECUTE $sql$
            UPDATE customs.outbox o
               SET payload = CASE WHEN o.type = 'receipt' THEN
                       (o.payload - '{actor,note,event,from_status_code,rules_version}'::text[])
                       || jsonb_build_object('returnInfo', customs.return_info(
                              (o.payload->>'status_code')::int,
                              CASE WHEN coalesce(o.payload->'reasons', '[]') <> '[]'
                                   THEN customs.reasons_text(o.payload->'reasons') END))
                   ELSE (o.payload - '{actor,note,reasons,rules_version}'::text[])
                       || jsonb_build_object('event', coalesce(o.payload->>'event', 'declared'),
                                             'from_status_code', o.payload->'from_status_code')
                   END
             WHERE o.published_at IS NULL
        $sql$;
    END IF;
END
$$;
