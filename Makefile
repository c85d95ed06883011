# Two commands set everything up on a fresh machine: `make plan` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: plan validate test e2e lint docs policy-pack clean

# The pinned requirements, then the project itself, editable and with both extras: `app-of-apps`
# on .venv/bin runs this checkout's fleet/, as `python -m fleet`, the tests and the Pulumi
# program do (a plain install would leave a copy in site-packages that goes stale with every edit).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-build-isolation -c constraints.txt -e '.[status,pulumi]'
	touch $(STAMP)

# Every catalog: a one-file catalog stacks/<env>.yaml, or a folder stacks/<env>/ (platform.yaml, teams/).
CATALOGS = $(wildcard stacks/*.yaml) $(patsubst %/platform.yaml,%,$(wildcard stacks/*/platform.yaml))

## Render every catalog under stacks/ offline into build/plan/<environment>/
plan: $(STAMP)
	@set -e; for catalog in $(CATALOGS); do \
		$(BIN)/python -m fleet plan "$$catalog" --out 'build/plan/{environment}'; \
	done

## Validate every catalog, and check that .github/CODEOWNERS is what they say
validate: $(STAMP)
	@set -e; for catalog in $(CATALOGS); do $(BIN)/python -m fleet validate "$$catalog"; done
	@$(BIN)/python -m fleet codeowners --check

## Unit tests, the program under the mock engine, the referees
test: $(STAMP)
	$(BIN)/python -m pytest --tb=native -q $(PYTEST_ARGS)

## The end-to-end tier: the program under a real Pulumi CLI against a disposable cluster
## (KUBECONFIG + pulumi on PATH, else the engine kit in ../shared/engine; scripts/e2e.sh)
e2e: $(STAMP)
	bash scripts/e2e.sh $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## The docs site: regenerate docs/reference/ and the catalog schema from the code, then build
## build/site strictly (a broken link or anchor fails). `make test` checks both without writing.
docs: $(STAMP)
	$(BIN)/python scripts/generate_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

## A self-contained copy of the policy pack (with fleet/ inside) for `pulumi policy publish`
policy-pack:
	rm -rf build/policy-pack && mkdir -p build/policy-pack
	cp policies/PulumiPolicy.yaml policies/__main__.py policies/guardrails.py policies/requirements.txt build/policy-pack/
	cp -r fleet build/policy-pack/fleet
	find build/policy-pack -name __pycache__ -prune -exec rm -rf {} +
	@echo "publish with: cd build/policy-pack && pulumi policy publish <org>"

clean:
	rm -rf build $(VENV)
