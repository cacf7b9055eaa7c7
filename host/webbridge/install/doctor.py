"""``webbridge doctor``: name each broken link between the browser and the daemon, and repair what we can.

:func:`run_checks` looks, in order, at: the install record, which browsers are here, the launcher (present,
executable, its interpreter exists and can import the relay), every manifest target (each detected browser's
per-user folder, plus every system folder and ``--user-data-dir`` folder the record lists; on Windows the
registry key too), other manifests that claim our host name or list our extension id, the daemon, and
pairing. Every :class:`Check` says what is wrong and how to fix it by hand. The checks of each area are in
:mod:`.checks`.

:func:`fix` (in :mod:`.repair`) repairs the fixable ones: rewrites manifests and registry keys, recreates the
launcher, moves a conflicting manifest aside to ``<file>.disabled-by-webbridge`` (the browser only reads
``*.json``), and starts the daemon. Neither function raises for a broken installation: that is what they
report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from webbridge import meta
from webbridge.install.browsers import Machine, detected
from webbridge.install.checks import Check, Status
from webbridge.install.checks.daemon import ProbeDaemon as ProbeDaemon
from webbridge.install.checks.daemon import daemon_checks
from webbridge.install.checks.launcher import launcher_checks
from webbridge.install.checks.manifests import browsers_check, conflict_checks, planned_targets, target_checks
from webbridge.install.checks.record import record_check
from webbridge.install.registry import Registry, default_registry
from webbridge.install.repair import DISABLED_SUFFIX, fix
from webbridge.install.repair import StartDaemon as StartDaemon
from webbridge.install.targets import launcher_file, launcher_scope
from webbridge.paths import Paths

__all__ = ["DISABLED_SUFFIX", "Check", "Status", "fix", "run_checks"]


def run_checks(
    *,
    home: Path,
    platform: str,
    paths: Paths,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    system_root: Path | None = None,
    user_data_dirs: Sequence[Path] = (),
    probe_daemon: ProbeDaemon | None = None,
) -> list[Check]:
    """Check everything between the browser and the daemon. Never raises for what it finds broken.

    ``user_data_dirs`` adds ``--user-data-dir`` folders to those the install record lists. ``probe_daemon``
    returns the daemon's status (``{"version", "pairings", "bridges", ...}``) or raises
    :class:`DaemonUnavailable`; by default ``webbridge.daemon.client.probe(paths)``.
    """
    machine = Machine.create(home=home, platform=platform, env=env, system_root=system_root)
    if registry is None:
        registry = default_registry(machine.platform)
    checks: list[Check] = []

    record, found_record = record_check(paths)
    checks.append(found_record)

    found = detected(machine)
    checks.append(browsers_check(found))

    ids = record.extension_ids if record else [meta.EXTENSION_ID]
    planned = planned_targets(record, found, user_data_dirs, machine, paths)
    scopes = list(dict.fromkeys(launcher_scope(t.scope) for t, _ in planned)) or ["user"]
    launchers = {scope: launcher_file(scope, machine, paths) for scope in scopes}
    for scope, launcher in launchers.items():
        checks += launcher_checks(launcher, scope, record, machine)
    for target, expected in planned:
        # A detected browser the user chose not to install for is only a warning; anything the record (or
        # --user-data-dir) names must be there.
        absent: Status = "fail" if expected or record is None else "warn"
        launcher = launcher_file(target.scope, machine, paths)
        checks += target_checks(target, launcher, ids, machine, registry, absent)
    targets = [t for t, _ in planned]
    checks += conflict_checks(targets, list(launchers.values()), ids, machine, registry)
    checks += daemon_checks(probe_daemon, paths)
    return checks
