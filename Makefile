# The two commands of the README: `make up` runs the product, `make test` runs every check.
.PHONY: up test lint bench

up:
	@scripts/bootstrap
	.venv/bin/smartlinks up

test:
	@scripts/bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/pytest

bench:
	@scripts/bootstrap
	.venv/bin/python bench/redirect_bench.py
