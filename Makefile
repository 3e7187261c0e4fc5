# Two commands do all set-up on a fresh machine: `make book` and `make test`.
# Both create .venv from the pinned requirements.txt when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test student outputs benchmark clean help
.DEFAULT_GOAL := help

help:
	@echo "make book       build the HTML book into _build/html (executes every chapter)"
	@echo "make test       run every test: lecturelib, notebooks (nbval), student copies, book, browser"
	@echo "make student    regenerate the student copies under student/chapters/"
	@echo "make outputs    re-execute the chapters and re-store their checked outputs (NB=name for one)"
	@echo "make benchmark  time every chapter cold; fails when one exceeds 30 s"
	@echo "make clean      remove _build"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --all -W --keep-going
	@echo
	@echo "The book is ready: open file://$(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(PY) -m pytest

student: $(STAMP)
	$(PY) -m tools.student

outputs: $(STAMP)
	$(PY) -m tools.store_outputs $(NB)
	$(PY) -m tools.student

benchmark: $(STAMP)
	$(PY) -m tools.benchmark

clean:
	rm -rf _build
