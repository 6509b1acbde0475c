# carecenter — `make run` serves the app, `make test` runs every test.
# Without DATABASE_URL both use the embedded PostgreSQL under var/postgres.
# Without CELERY_BROKER_URL `make run` starts an embedded Redis with a Celery
# worker and beat, and the test suite runs tasks eagerly.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test worker beat install messages catalogs lint db-stop browsers clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Compiled catalogs are committed; this rebuilds them when gettext is at hand.
messages: install
	@if command -v msgfmt >/dev/null; then DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0; fi

# After changing user-facing strings: refresh both catalogs, copy English msgids
# into the English catalog, list what still needs a Chinese translation.
catalogs: install
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete \
	  --ignore=.venv --ignore=staticfiles --ignore=var --ignore=test-results
	msgen locale/en/LC_MESSAGES/django.po -o locale/en/LC_MESSAGES/django.po
	@echo "zh_Hans entries to translate (untranslated, then fuzzy guesses to check):"
	@msgattrib --untranslated --no-wrap locale/zh_Hans/LC_MESSAGES/django.po | grep '^msgid "..*"' || true
	@msgattrib --only-fuzzy --no-wrap locale/zh_Hans/LC_MESSAGES/django.po | grep '^msgid "..*"' || true
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0

# Without CELERY_BROKER_URL: an embedded Redis (var/redis), a worker and beat run
# beside the web server and stop with it (carecenter/devrun.py).
run: install messages
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} exec $(PY) -m carecenter.devrun

# Browser tests drive Debian's Chromium; install it (and a CJK font) when missing.
browsers:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "Browser tests need Debian's chromium and fonts-wqy-microhei: sudo apt-get install chromium fonts-wqy-microhei"; exit 1; fi; \
	fi

test: install messages browsers
	$(PY) -m pytest $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A carecenter worker --loglevel=INFO

# Exactly one beat process per deployment: the schedule lives in the database.
beat: install
	$(VENV)/bin/celery -A carecenter beat --loglevel=INFO

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

db-stop:
	$(PY) -m carecenter.devdb stop

clean: db-stop
	rm -rf var staticfiles test-results
