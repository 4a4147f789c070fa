-- 015_officer_controls.sql - the transitions of the officers' controls (issue: the officer's
-- full toolset; functions in sql/repeatable/70_officers.sql):
--   control (布控): an officer orders the inspection of a parcel customs accepted (399) or
--     released (800, not departed yet: departure moves it to 899): -> 500, the warehouse is
--     told ('inspect' event);
--   reopen: a detained parcel (501-503, 599) whose case is settled is released (800, it is in
--     the supervised warehouse: arrival required) or returned (700).
-- 399 -> 500 exists already for an amendment decided to inspection: it gets the event.
UPDATE customs.status_transitions SET events = events || ARRAY['control']
 WHERE from_code = 399 AND to_code = 500;
INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
VALUES (800, 500, ARRAY['control'], false,
        'an officer ordered an inspection (布控) of a released parcel before departure');

INSERT INTO customs.status_transitions (from_code, to_code, events, requires_arrival, description)
SELECT f, t, ARRAY['reopen'], t = 800,
       CASE WHEN t = 800 THEN 'detained, the case settled: released'
            ELSE 'detained, the case settled: returned' END
  FROM unnest(ARRAY[501, 502, 503, 599]) AS f, unnest(ARRAY[800, 700]) AS t;
