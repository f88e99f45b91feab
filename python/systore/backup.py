"""Backups of a whole root — time series, operational and reference data in one
manifest — restore, and point-in-time recovery (docs/backup-and-recovery.md).

    import systore
    repo = systore.BackupRepository("/backups/systore")      # or "s3://bucket/prefix"
    info = repo.create("systore-data", label="eod")
    assert repo.verify()["ok"]
    repo.restore("/restore/x", backup_id=info["id"])
    repo.restore("/restore/y", time="2026-12-04 14:30:00", live_root="systore-data")
"""
from __future__ import annotations

from typing import Optional

from . import _systore
from ._errors import translate
from .timeseries import TimeLike, _ns


class BackupRepository:
    """A content-addressed backup repository: a directory or s3://bucket/prefix (the S3
    endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_REGION, AWS_ALLOW_HTTP). Times are ns since the epoch, UTC."""

    @translate
    def __init__(self, uri: str):
        self.uri = str(uri)
        self._repo = _systore.BackupRepository(self.uri)

    @translate
    def create(self, root: str, label: str = "", tier: str = "local") -> dict:
        """Backs up every store of `root` at one consistent point (writers may run).
        Returns id, files, bytes, files_copied, bytes_copied (what was new), ..."""
        return self._repo.create(str(root), label, tier)

    @translate
    def list(self) -> list:
        """Complete backups, oldest first."""
        return self._repo.list()

    @translate
    def verify(self, backup_id: str = "") -> dict:
        """Reads every object (of one backup, or all) and checks size and SHA-256:
        {"ok", "files_checked", "bytes_checked", "problems": [{"backup_id", "path", "object", "problem"}]}."""
        return self._repo.verify(backup_id)

    @translate
    def prune(self, keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 12, dry_run: bool = False) -> dict:
        """Keeps the newest backup of each of the last N days/weeks/months; removes the rest
        and every object no kept backup needs."""
        return self._repo.prune(keep_daily, keep_weekly, keep_monthly, dry_run)

    @translate
    def restore(self, target: str, backup_id: str = "", time: TimeLike = None, live_root: str = "") -> dict:
        """Restores `backup_id`, or every store as of `time` (rolled forward with
        `live_root`'s logs), into the empty directory `target`, then checks it. Returns
        {"backup_id", "files", "bytes", "lines", "checks", "consistent", "seconds"}."""
        t: Optional[int] = _ns(time) if time is not None else None
        return self._repo.restore(str(target), backup_id, t, str(live_root))
