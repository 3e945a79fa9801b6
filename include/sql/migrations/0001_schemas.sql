-- One schema per layer of the pipeline (see docs/architecture.md).
CREATE SCHEMA IF NOT EXISTS ref;      -- reference data: regions
CREATE SCHEMA IF NOT EXISTS raw;      -- submissions as received: files and lossless text rows
CREATE SCHEMA IF NOT EXISTS staging;  -- typed rows of the submissions being validated
CREATE SCHEMA IF NOT EXISTS quality;  -- rules, validation runs, every failed rule per row
CREATE SCHEMA IF NOT EXISTS core;     -- people with history, households, verification facts
CREATE SCHEMA IF NOT EXISTS mart;     -- counts and trends
CREATE SCHEMA IF NOT EXISTS publish;  -- referral sets and the agency views
