"""``/api/admin/rules``: the curation rules, listed, added, changed, removed (API key or admin).

- ``GET /api/admin/rules[?kind=]``: the rules in force.
- ``POST /api/admin/rules``: add one (a JSON object, ``indexer.curation.rules``); 201.
- ``GET /api/admin/rules/<id>``: one rule in force.
- ``GET /api/admin/rules/<id>/history``: every version of a rule, removal included.
- ``PUT /api/admin/rules/<id>``: its next version (all its fields, the same kind).
- ``DELETE /api/admin/rules/<id>``: remove it (the history stays).

Every change is a new version with its author (the API key's id) and time, and reaches
every worker within ``curation_refresh_seconds`` (``indexer.curation.live``). Bad input
(an unknown query parameter too) is a 400 naming the field; an unknown rule a 404; a rule
the same as one in force (``indexer.curation.store.rule_key``) a 409 naming that rule;
nothing stored changes then.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from indexer.curation.editing import RuleEditor
from indexer.curation.errors import DuplicateRule, InvalidRule, RuleNotFound
from indexer.curation.rules import KINDS
from indexer.curation.store import RuleStore
from indexer.errors import InvalidQuery
from indexer.json_input import json_spelling
from widget.admin_access import operator_name, require_operator
from widget.bodies import bounded_body, parsed_json
from widget.context import engine_of
from widget.errors import error
from widget.params import known_only, strict_args

admin_rules = Blueprint("admin_rules", __name__, url_prefix="/api/admin/rules")

EDITOR_KEY = "askfind.rules"
MAX_RULE_BYTES = 64 * 1024
LIST_PARAMS = ("kind",)
_editor_lock = threading.Lock()


def rule_editor_of(app: Flask) -> RuleEditor:
    """The app's rule editor, opened on the first request that needs it."""
    with _editor_lock:
        if EDITOR_KEY not in app.extensions:
            engine = engine_of(app)
            store = RuleStore(engine.settings.data_dir)
            app.extensions[EDITOR_KEY] = RuleEditor(
                store, engine.backend, tuple(engine.settings.languages)
            )
        editor: RuleEditor = app.extensions[EDITOR_KEY]
        return editor


def close_rule_editor(app: Flask) -> None:
    editor = app.extensions.pop(EDITOR_KEY, None)
    if editor is not None:
        editor.store.close()


@admin_rules.errorhandler(InvalidRule)
def invalid_rule(e: InvalidRule) -> tuple[Any, int]:
    return error(str(e), 400, **({"field": e.parameter} if e.parameter else {}))


@admin_rules.errorhandler(RuleNotFound)
def rule_not_found(e: RuleNotFound) -> tuple[Any, int]:
    return error(str(e), 404)


@admin_rules.errorhandler(DuplicateRule)
def duplicate_rule(e: DuplicateRule) -> tuple[Any, int]:
    return error(str(e), 409, rule=e.existing)


@admin_rules.get("")
@require_operator
def list_rules() -> Any:
    kind = known_only(strict_args(request), LIST_PARAMS).get("kind")
    if kind is not None and kind not in KINDS:
        raise InvalidQuery(
            f"kind must be one of {', '.join(KINDS)}, not {json_spelling(kind)}", "kind"
        )
    rules = rule_editor_of(current_app).store.rules()
    return jsonify({"rules": [r.to_dict() for r in rules if kind is None or r.kind == kind]})


@admin_rules.post("")
@require_operator
def add_rule() -> Any:
    known_only(strict_args(request), ())
    rule = rule_editor_of(current_app).add(_rule_body(), _author())
    return jsonify(rule.to_dict()), 201


@admin_rules.get("/<int:rule_id>")
@require_operator
def get_rule(rule_id: int) -> Any:
    known_only(strict_args(request), ())
    return jsonify(rule_editor_of(current_app).store.get(rule_id).to_dict())


@admin_rules.get("/<int:rule_id>/history")
@require_operator
def rule_history(rule_id: int) -> Any:
    """Every version, removed rules' included: the audit of who changed what, when."""
    known_only(strict_args(request), ())
    history = rule_editor_of(current_app).store.history(rule_id)
    return jsonify({"id": rule_id, "history": history})


@admin_rules.put("/<int:rule_id>")
@require_operator
def change_rule(rule_id: int) -> Any:
    known_only(strict_args(request), ())
    return jsonify(rule_editor_of(current_app).change(rule_id, _rule_body(), _author()).to_dict())


@admin_rules.delete("/<int:rule_id>")
@require_operator
def remove_rule(rule_id: int) -> Any:
    # Before anything changes: "?dry_run=1" must not remove the rule.
    known_only(strict_args(request), ())
    removed = rule_editor_of(current_app).remove(rule_id, _author())
    return jsonify({"id": removed.id, "removed": True, "version": removed.version + 1})


def _rule_body() -> Any:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("a rule is a JSON object (Content-Type: application/json)")
    return parsed_json(bounded_body(MAX_RULE_BYTES, "a rule"), "a rule")


def _author() -> str:
    """Who changes a rule: the API key by its id, or the admin signed in on the dashboard."""
    return operator_name()
