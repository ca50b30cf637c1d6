-- The two statement triggers that pair a decision batch's old and new rows plan that join with nested loops ruled
-- out, so that a plan made for a small batch cannot be kept for a large one.
--
-- payments_guard (LEFT JOIN guard_new ON n.id = o.id) and payments_decided (decided_new JOIN decided_old ON
-- od.id = nw.id) join the UPDATE's two transition tables, which have no index. PL/pgSQL keeps each statement's plan
-- for the session, and after five executions the plan cache may keep a generic plan made with the row counts of
-- that moment. A worker whose first decisions were single payments (steady traffic: a claim finds one or two)
-- therefore kept a nested loop, and a later batch of 500 (a backlog after an outage) compared every old row with
-- every new one in both triggers: in psql, eight single-payment UPDATEs and then one of 500 in the same session,
-- with auto_explain, 249,500 rows removed by each join filter, 35.5–55.9 ms in payments_decided's join and
-- 36.8–47.5 ms in payments_guard's, against 1.7 and 1.1 ms for hash joins of the same rows
-- (Benchmarks/transition-join-plans.sh; docs/PERFORMANCE.md, "Plans the first batches leave behind").
-- With `enable_nestloop = off` set on the two functions, every join the planner makes while they run is a hash or
-- merge join, whatever the batch sizes before; the setting applies inside the functions only.
SET LOCAL ROLE chokepoint_owner;

ALTER FUNCTION chokepoint.payments_guard() SET enable_nestloop = off;
ALTER FUNCTION chokepoint.payments_decided() SET enable_nestloop = off;

RESET ROLE;
