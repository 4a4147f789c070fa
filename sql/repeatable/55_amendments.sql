-- 55_amendments.sql - amendments (appType 2) and cancellations (appType 3) of a stored
-- declaration (CEB603 appType, docs/DOMAIN.md section 1 and pre-check 21), one record at a
-- time, through the state machine (30_state_machine.sql):
--   appType 2 replaces a declaration in 100, 120, 300 or 399 (not under inspection, not
--            released or closed, not detained/returned, not cancelled): the new content and
--            items replace the old, the rules' decision on the new content becomes the
--            status (an amended 399 parcel that has already arrived is released at once);
--            the replaced content is kept in customs.declaration_versions.
--   appType 3 cancels a declaration in the same states: status 100 (海关退单; CEB604 has no
--            code of its own for a withdrawn declaration) with the reason 'cancelled by the
--            declarer (appType 3)', cancelled_at set; nothing changes it afterwards; a
--            'return' event tells the warehouse not to ship the parcel.
--   appType 1 for a parcel saved before (status 1: its appStatus was 1, 暂存; pre-check 22)
--            is its declaration: the content is replaced as by an amendment (event
--            'declared'), and the status becomes what the rules gave: the decision, with a
--            120 receipt before its receipt as for any new declaration, or 1 again when it
--            is saved again (appStatus 1). apply_batch sends only such records here (an
--            appType 1 for any other stored parcel is a conflict).
--   Refused (released, closed, under inspection, detained, returned, cancelled, or no such
--   declaration): the record is quarantined byte-exact with the reason, a refused_transitions
--   row and a -1 receipt.
--   A record whose bytes equal the current content or any earlier version of that
--   logisticsNo is a duplicate (no-op), whatever its appType. (appType 1 with other content
--   for a stored logisticsNo is a conflict: apply_batch quarantines it, with a -1 receipt.)

-- The duplicate rule, for every appType (here and apply_batch's appType 1 records): true
-- when p_sha256, the SHA-256 of a record's bytes, is p_current_sha256 (the stored
-- declaration's content_sha256) or that of an earlier version of p_logistics_no
-- (customs.declaration_versions). NULL when p_current_sha256 or p_sha256 is NULL and no
-- earlier version matches (not a duplicate).
CREATE OR REPLACE FUNCTION customs.is_stored_content(p_logistics_no text,
                                                     p_current_sha256 text, p_sha256 text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p_current_sha256 = p_sha256
           OR EXISTS (SELECT 1 FROM customs.declaration_versions v
                       WHERE v.logistics_no = p_logistics_no AND v.content_sha256 = p_sha256)
$$;

-- One amendment (appType 2), cancellation (appType 3) or declaration of a saved parcel
-- (appType 1) record from the staging table of apply_batch. The declaration, if any, is
-- locked by the caller. Returns (outcome, outbox rows): outcome amended (also for appType 1)
-- | cancelled | duplicate | refused.
CREATE OR REPLACE FUNCTION customs.apply_change_record(
    p_logistics_no text, p_app_type text, p_sha256 text, p_payload text,
    p_inv customs.ceb603_inventory, p_status_code integer, p_reasons jsonb, p_rules_version text, p_topic text,
    p_partition integer, p_offset bigint, p_ts timestamptz, p_declared_later boolean,
    OUT outcome text, OUT events integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_d       customs.declarations;
    v_event   text := CASE p_app_type WHEN '3' THEN 'cancellation' WHEN '2' THEN 'amendment'
                                          ELSE 'declared' END;
    v_to      integer := CASE p_app_type WHEN '3' THEN 100 ELSE p_status_code END;
    v_refusal text;
    v_actor   text;
    v_note    text;
    v_found   boolean;
BEGIN
    events := 0;
    SELECT * INTO v_d FROM customs.declarations d
     WHERE d.logistics_no = p_logistics_no FOR UPDATE;
    v_found := FOUND AND NOT p_declared_later;
    IF v_found
       AND customs.is_stored_content(p_logistics_no, v_d.content_sha256, p_sha256) THEN
        outcome := 'duplicate';
        RETURN;
    END IF;
    v_actor := CASE WHEN p_app_type IS DISTINCT FROM '3'
                    THEN customs.rules_actor(p_rules_version)
                    ELSE 'declarer:' || coalesce(nullif((p_inv)."agentCode", ''),
                                                 nullif((p_inv)."ebcCode", ''), 'unknown') END;
    IF NOT v_found THEN
        v_refusal := format('%s refused: logisticsNo %s is not declared (appType 1 first)',
                            CASE p_app_type WHEN '2' THEN 'amendment (appType 2)'
                                 WHEN '3' THEN 'cancellation (appType 3)'
                                 ELSE 'declaration' END, p_logistics_no);
    ELSE
        v_refusal := customs.transition_refusal(v_d.status_code, v_to, v_event,
                                                v_d.arrived_at IS NOT NULL,
                                                v_d.cancelled_at IS NOT NULL);
    END IF;
    IF v_refusal IS NOT NULL THEN
        outcome := 'refused';
        INSERT INTO customs.quarantine
            (source_topic, source_partition, source_offset, raw, reason, logistics_no)
        VALUES (p_topic, p_partition, p_offset, convert_to(p_payload, 'UTF8'), v_refusal,
                p_logistics_no)
        ON CONFLICT DO NOTHING; -- once per record: customs.quarantine_key_claim
        events := customs.record_refusal(p_logistics_no,
                                         CASE WHEN v_found THEN v_d.status_code END,
                                         v_event, v_to,
                                         v_refusal, v_actor, p_topic, p_partition, p_offset,
                                         coalesce(v_d.cop_no, (p_inv)."copNo"),
                                         coalesce(v_d.guid, (p_inv).guid));
        RETURN;
    END IF;

    IF p_app_type = '3' THEN
        INSERT INTO customs.declaration_versions
            (logistics_no, version, kind, app_type, content_sha256, payload, status_code,
             reasons, rules_version, source_topic, source_partition, source_offset)
        VALUES (p_logistics_no, v_d.version, 'cancellation', p_app_type, p_sha256, p_payload,
                v_d.status_code, p_reasons, p_rules_version, p_topic, p_partition, p_offset);
        v_note := 'cancelled by the declarer (appType 3)';
        events := customs.change_status(
            p_logistics_no, 100, 'cancellation', v_actor, v_note,
            jsonb_build_array(jsonb_build_object('rule_id', 'CANCELLED', 'action', 'reject',
                                                 'message', v_note)),
            p_rules_version, p_topic, p_partition, p_offset);
        UPDATE customs.declarations d SET cancelled_at = now()
         WHERE d.logistics_no = p_logistics_no;
        outcome := 'cancelled';
        RETURN;
    END IF;

    -- Amendment: keep the content it replaces, then replace content, items and status in
    -- one UPDATE (the guard checks it as an 'amendment').
    INSERT INTO customs.declaration_versions
        (logistics_no, version, kind, app_type, content_sha256, payload, status_code, reasons,
         rules_version, source_topic, source_partition, source_offset)
    VALUES (p_logistics_no, v_d.version, 'replaced', v_d.app_type, v_d.content_sha256,
            v_d.payload, v_d.status_code, v_d.reasons, v_d.rules_version, v_d.source_topic,
            v_d.source_partition, v_d.source_offset);
    v_note := CASE WHEN p_app_type = '2' THEN
                  format('amended by the declarer (appType 2): version %s replaces version %s',
                         v_d.version + 1, v_d.version)
              WHEN v_to = 1 THEN
                  format('saved again (appStatus 1): version %s replaces the saved version %s',
                         v_d.version + 1, v_d.version)
              ELSE
                  format('declared (appStatus 2): version %s replaces the saved version %s',
                         v_d.version + 1, v_d.version) END;
    PERFORM set_config('customs.transition', v_event, true);
    UPDATE customs.declarations d
       SET (order_no, cop_no, guid, app_type, app_time, app_status, ebp_code, ebc_code,
            ebc_name, logistics_code, agent_code, owner_code, customs_code, port_code,
            ie_flag, ie_date, statistics_flag, trade_mode, traf_mode, country, pod,
            wrap_type, gross_weight, net_weight, freight, f_currency, insured_fee,
            i_currency, pack_no, total_price, currency, item_count)
           = (SELECT h.* FROM customs.ceb603_head(p_inv) h),
           status_code = p_status_code, reasons = p_reasons, rules_version = p_rules_version,
           content_sha256 = p_sha256, payload = p_payload, source_topic = p_topic,
           source_partition = p_partition, source_offset = p_offset, source_timestamp = p_ts,
           version = d.version + 1, status_actor = v_actor, status_note = v_note
     WHERE d.logistics_no = p_logistics_no;
    PERFORM set_config('customs.transition', '', true);

    DELETE FROM customs.declaration_items i WHERE i.logistics_no = p_logistics_no;
    INSERT INTO customs.declaration_items
        (logistics_no, line_no, gnum, item_no, item_record_no, item_name, gcode, gname,
         gmodel, bar_code, country, currency, qty, unit, qty1, unit1, qty2, unit2, price,
         total_price)
    SELECT p_logistics_no, i.* FROM customs.ceb603_items(p_inv) i;

    -- A saved parcel now declared reaches customs: received (120) before its decision,
    -- as a new declaration is (apply_batch_outbox).
    IF v_d.status_code = 1 AND v_to NOT IN (1, 120) THEN
        PERFORM customs.outbox_add('receipt', p_logistics_no, (p_inv)."copNo",
                                   (p_inv).guid, 120, '[]', p_rules_version, v_event, NULL,
                                   NULL, v_d.status_code);
        events := events + 1;
    END IF;
    events := events + customs.record_change(p_logistics_no, v_d.status_code, v_event, v_actor,
                                             v_note, p_reasons, p_rules_version, p_topic,
                                             p_partition, p_offset);
    outcome := 'amended';
END;
$$;
