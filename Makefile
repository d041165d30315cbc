# Two commands on a fresh machine: `make demo` (set up, then scan the bundled sample media into out/) and
# `make test` (set up, then run the tests). Set-up is idempotent: a stamp file skips it when nothing changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng wamerican fonts-dejavu-core fonts-liberation2 chromium chromium-driver

.PHONY: venv demo test bench samples clean apt

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@$(MAKE) --no-print-directory apt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "pip<26"
	# torch 2.13.0+cpu comes from the wheel on this machine's pip find-links; the pin keeps pip from a CUDA build.
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m scanner.models --check
	touch $(STAMP)

# Tesseract is the independent reader the tests use to prove redacted text cannot be read back; the other Debian
# packages are listed where they are used. Installs only what dpkg does not already have.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "apt-get install $$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	  || { echo "error: could not apt-get install $$missing"; exit 1; }; \
	else echo "error: missing Debian packages: run 'sudo apt-get install $$missing'"; exit 1; fi

demo: apt venv
	$(BIN)/python sample_media/make_samples.py --check
	$(BIN)/scanner redact sample_media --out out; code=$$?; \
	  echo "scanner exited $$code; outputs in out/sample_media/"; [ $$code -le 1 ]

test: apt venv
	OMP_THREAD_LIMIT=1 $(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python -m bench.real ../shared/real/ehr_dev bench/real_data/oss_dev bench/real_data/oss_dev2 \
		bench/real_data/oss_dev3 bench/real_data/oss_holdout bench/real_data/oss_holdout2 bench/real_data/oss_holdout3
	$(BIN)/python -m bench.real_photos bench/real_data/plates_dev bench/real_data/plates_holdout \
		bench/real_data/tattoos_dev bench/real_data/tattoos_holdout \
		bench/real_data/photos_neg_dev bench/real_data/photos_neg_holdout
	$(BIN)/python -m bench.run --n 40 --big --tesseract
	$(BIN)/python -m bench.run --n 0 --imaging 12 --seed 1 --out bench/out/imaging

samples: venv
	$(BIN)/python sample_media/make_samples.py

clean:
	rm -rf out bench/out .pytest_cache
