"""`docent audit ...` and `docent doctor [--privacy]`: the governance commands, over the core's audit
log and privacy self-test (docent.cli parses the arguments and dispatches)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from docent import paths
from docent.cli.common import Progress, emit
from docent.errors import DocentError


def cmd_audit(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from docent.core.storage.audit import AuditLog
    from docent.core.library.facade import SETTINGS_FILE
    from docent.settings import load, save

    data_dir = paths.data_dir(args.data_dir)
    settings = load(data_dir / SETTINGS_FILE)
    audit = AuditLog.of_library(data_dir, settings.audit_retention_days)
    if args.audit_command == "config":
        changes: dict[str, Any] = {}
        if args.profile:
            changes["profile"] = args.profile
        if args.log:
            changes["audit_log"] = {"on": True, "off": False, "auto": None}[args.log]
        if args.retention_days is not None:
            changes["audit_retention_days"] = args.retention_days
        if changes:
            settings = replace(settings, **changes)
            problems = settings.validate()
            if problems:
                raise DocentError("; ".join(problems))
            save(data_dir / SETTINGS_FILE, settings)
        out = {"profile": settings.profile, "audit_log": settings.audit_enabled,
               "audit_retention_days": settings.audit_retention_days, "log_file": str(audit.file)}
        if args.json:
            emit(out)
        else:
            print(f"Profile: {settings.profile}; audit log {'on' if settings.audit_enabled else 'off'}"
                  f" ({audit.file}); records kept {settings.audit_retention_days or 'forever'}"
                  f"{' days' if settings.audit_retention_days else ''}.")
        return 0
    if args.audit_command == "prune":
        pruned = audit.prune()
        if args.json:
            emit({"pruned": pruned, "retention_days": settings.audit_retention_days})
        else:
            print(f"Pruned {pruned} audit record(s) older than {settings.audit_retention_days} days."
                  if settings.audit_retention_days else "Retention is 0: audit records are kept forever.")
        return 0
    check = audit.verify()
    if args.audit_command == "export":
        rows = audit.export_csv(args.csv)
        if args.json:
            emit({"exported": rows, "file": str(args.csv), "verified": check.ok})
        else:
            print(f"Exported {rows} audit record(s) to {args.csv}.")
        if not check.ok:
            sys.stderr.write("docent: warning: the audit log does not verify (run `docent audit verify`)\n")
        return 0
    if args.json:
        emit(check.to_json())
    elif check.ok:
        span = f", seq {check.first_seq} to {check.last_seq}" if check.records else ""
        print(f"The audit log is intact: {check.records} record(s){span}, {check.checkpoints} checkpoint(s). "
              f"({check.log_file})")
    else:
        print(f"The audit log was tampered with or damaged ({check.log_file}):")
        for pr in check.problems:
            where = f"line {pr.line}" + (f", seq {pr.seq}" if pr.seq is not None else "") if pr.line else "log"
            print(f"  {where}: {pr.message}")
    return 0 if check.ok else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    if not args.privacy:
        return _doctor_basic(args)
    from docent.core.cancel import CancelToken
    from docent.core.selftest.privacy import SelfTestReport, SelfTestStep, run_selftest

    cancel = CancelToken()
    progress = Progress(quiet=args.json)
    report: SelfTestReport | None = None
    from dataclasses import replace

    from docent.core.library.facade import SETTINGS_FILE
    from docent.core.selftest.privacy import SELFTEST_SETTINGS
    from docent.settings import load

    # through the library's office servers, if it has any: connections to exactly those are allowed
    current = load(paths.data_dir(args.data_dir) / SETTINGS_FILE)
    settings = replace(SELFTEST_SETTINGS, chroma_server=current.chroma_server, llm_server=current.llm_server)
    try:
        for ev in run_selftest(keep=args.keep, cancel=cancel, settings=settings):
            if isinstance(ev, SelfTestStep):
                progress.line(f"[{ev.fraction:4.0%}] {ev.message}", force=True)
            else:
                report = ev
    except KeyboardInterrupt:
        cancel.cancel()
        progress.done()
        sys.stderr.write("docent: privacy self-test interrupted\n")
        return 130
    progress.done()
    assert report is not None
    if args.json:
        emit(report.to_json())
    else:
        print("Privacy self-test: indexed the sample documents and asked a question with every network call "
              "intercepted" + (f", except to the configured office servers ({', '.join(report.servers)})."
                               if report.servers else "."))
        print(f"Files and folders Docent wrote ({len(report.files_written)}):")
        for f in report.files_written:
            size = f"{f['size']:>10,}" if f["kind"] == "file" else f"{'<dir>':>10}"
            print(f"  {f['mode']} {size}  {f['where']:8} {f['path']}")
        print(report.summary())
        if report.kept:
            print(f"The temporary library was kept in {report.kept}")
    if report.connections_attempted:
        sys.stderr.write(f"docent: PRIVACY SELF-TEST FAILED: {report.connections_attempted} network connection(s) "
                         f"attempted: {'; '.join(c.get('call', '') + ' ' + c.get('target', '') for c in report.connections[:5])}\n")
    elif not report.ok:
        sys.stderr.write(f"docent: the privacy self-test did not finish: {report.error or 'cancelled'}\n")
    return 0 if report.ok else 1


def _doctor_basic(args: argparse.Namespace) -> int:
    """Where Docent keeps things (and whether those folders are private), and whether the default
    models are present and intact."""
    import stat

    from docent.core.models import packaged as models

    checks: list[dict[str, Any]] = []
    for name, folder in (("library", paths.data_dir(args.data_dir)), ("models", paths.models_dir()),
                         ("logs", paths.log_dir())):
        mode = f"{stat.S_IMODE(folder.stat().st_mode):04o}" if folder.exists() else None
        checks.append({"check": f"{name} folder", "path": str(folder), "mode": mode, "ok": True, "detail": ""})
    for name, get in (("default chat model", lambda: models.chat_model_path(None)),
                      ("embedder", lambda: models.embedder_files()[0])):
        try:
            checks.append({"check": name, "path": str(get()), "ok": True, "detail": "sha256 verified"})
        except DocentError as exc:
            checks.append({"check": name, "path": "", "ok": False, "detail": str(exc)})
    ok = all(c["ok"] for c in checks)
    if args.json:
        emit({"ok": ok, "checks": checks})
    else:
        for c in checks:
            extra = f" (mode {c['mode']})" if c.get("mode") else (" (not created yet)" if "mode" in c else "")
            print(f"{'ok ' if c['ok'] else 'BAD'} {c['check']}: {c['path']}{extra} {c['detail']}".rstrip())
        print("Run `docent doctor --privacy` for the privacy self-test.")
    return 0 if ok else 1




NEW_PASSPHRASE_ENV = "DOCENT_NEW_PASSPHRASE"


def cmd_passphrase(args: argparse.Namespace) -> int:
    """Change the library's passphrase, or encrypt a plain library."""
    import getpass
    import os

    from docent.core.storage import crypto
    from docent.core.storage.rekey import change_passphrase

    data_dir = paths.data_dir(args.data_dir)
    was_encrypted = crypto.is_encrypted(data_dir)
    terminal = sys.stdin.isatty()
    old = None
    if was_encrypted:
        old = os.environ.get(crypto.PASSPHRASE_ENV) or (
            getpass.getpass(f"Current passphrase of the library in {data_dir}: ") if terminal else None)
        if not old:
            raise DocentError(f"give the current passphrase: set {crypto.PASSPHRASE_ENV}, or run this in a terminal.")
    new = os.environ.get(NEW_PASSPHRASE_ENV)
    if not new:
        if not terminal:
            raise DocentError(f"give the new passphrase: set {NEW_PASSPHRASE_ENV}, or run this in a terminal.")
        new = getpass.getpass("New passphrase: ")
        if getpass.getpass("Repeat the new passphrase: ") != new:
            raise DocentError("the two passphrases differ; nothing was changed.")
    chats = change_passphrase(data_dir, old, new)
    if args.json:
        emit({"encrypted": True, "was_encrypted": was_encrypted, "chats_resealed": chats, "library": str(data_dir)})
    else:
        done = "now opens with the new passphrase" if was_encrypted else "is now encrypted"
        print(f"The library in {data_dir} {done} ({chats} chat(s) sealed again). A forgotten passphrase cannot "
              f"be recovered: keep it safe.")
    return 0
