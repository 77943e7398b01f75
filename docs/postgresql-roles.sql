-- Clinic EMR on PostgreSQL: what the application's login role may do.
--
-- Run it connected to the practice database AS THE OWNER ROLE (emr_owner), after the schema exists and
-- again after every app upgrade (it is idempotent):
--
--     psql "host=db.example port=5432 dbname=clinic user=emr_owner" -v ON_ERROR_STOP=1 -f docs/postgresql-roles.sql
--
-- Roles (created once by the server administrator, see docs/postgresql.md):
--   emr_owner  owns the schema; runs the migrations (`python -m desktop check-db` / first start after an upgrade)
--   emr_app    what every workstation logs in as: reads and writes the records, but the audit log is
--              append-only for it: INSERT and SELECT on audit_log, SELECT and UPDATE on audit_head (the chain's
--              tip), nothing else on either; it cannot create, alter or drop tables.
-- To use other role names, replace emr_app / emr_owner throughout this file.

BEGIN;

-- nobody but the owner creates objects in the schema
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO emr_app;

-- ordinary tables: read and write (clinical rows are never hard-deleted by the app, but search tokens,
-- autosaves and recent-patient lists are)
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO emr_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO emr_app;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM emr_app;

-- tables that later migrations add get the same rights (re-run this script after an upgrade anyway)
ALTER DEFAULT PRIVILEGES FOR ROLE emr_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO emr_app;
ALTER DEFAULT PRIVILEGES FOR ROLE emr_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO emr_app;

-- the audit log: append-only for the app
REVOKE ALL ON audit_log FROM emr_app;
GRANT SELECT, INSERT ON audit_log TO emr_app;

-- the chain's tip: one row, locked (SELECT ... FOR UPDATE needs UPDATE) and moved forward by each writer
REVOKE ALL ON audit_head FROM emr_app;
GRANT SELECT, UPDATE ON audit_head TO emr_app;
-- the app creates the tip row on its first audit entry; the app role may not INSERT it, so make it here
INSERT INTO audit_head (id, last_id, last_hash)
SELECT 1, 0, repeat('0', 64)
WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)
  AND NOT EXISTS (SELECT 1 FROM audit_log);

-- the chart row states the audit rows vouch for: append-only too
REVOKE ALL ON audit_row_state FROM emr_app;
GRANT SELECT, INSERT ON audit_row_state TO emr_app;

-- the schema version is the owner's business
REVOKE ALL ON alembic_version FROM emr_app;
GRANT SELECT ON alembic_version TO emr_app;

-- second line of defence: even the owner (or a superuser who forgot) cannot edit or delete audit rows
-- without first dropping this trigger, which is itself visible in the server log and in pg_trigger.
CREATE OR REPLACE FUNCTION emr_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION emr_audit_log_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION emr_audit_log_append_only();
DROP TRIGGER IF EXISTS audit_row_state_append_only ON audit_row_state;
CREATE TRIGGER audit_row_state_append_only
    BEFORE UPDATE OR DELETE ON audit_row_state
    FOR EACH ROW EXECUTE FUNCTION emr_audit_log_append_only();
DROP TRIGGER IF EXISTS audit_row_state_no_truncate ON audit_row_state;
CREATE TRIGGER audit_row_state_no_truncate
    BEFORE TRUNCATE ON audit_row_state
    FOR EACH STATEMENT EXECUTE FUNCTION emr_audit_log_append_only();

COMMIT;
