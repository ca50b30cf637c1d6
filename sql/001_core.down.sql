-- Removes everything 001 created except the cluster-wide roles, which other databases may use.
DROP SCHEMA IF EXISTS chokepoint CASCADE;
