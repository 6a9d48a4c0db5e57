# The two commands of the README: `make up` runs the product, `make test` runs every check.
.PHONY: up test bench dashboard

up:
	@scripts/bootstrap
	.venv/bin/smartlinks up

test:
	@scripts/bootstrap
	@scripts/ensure-chromium
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	.venv/bin/pytest --durations=25

bench:
	@scripts/bootstrap
	.venv/bin/python bench/redirect_bench.py

# Rebuild the dashboard bundle (committed under api/dashboard_static/) from dashboard/.
dashboard:
	cd dashboard && npm ci && npm test && npm run build
