"""Dagster code location for the jaffle-shop dbt project on DuckDB."""
