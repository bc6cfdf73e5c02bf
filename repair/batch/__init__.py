"""An archive: the batch job (`job`), its plain data (`models`), the dry run (`estimate`),
reading folders and JSONL (`archive`) and the SQLite store that makes it resumable
(`store`).

    summary = repair.batch.run("archive/", "out/", config)     # or: await arun(...)
"""

from repair.batch.estimate import estimate
from repair.batch.job import MANIFEST_NAME, BatchControl, arun, output_jsonl, run
from repair.batch.models import (
    STATUSES,
    ArticleStatus,
    BatchOptions,
    BatchProgress,
    BatchSummary,
    Estimate,
    ManifestEntry,
    Progress,
)

__all__ = [
    "MANIFEST_NAME",
    "STATUSES",
    "ArticleStatus",
    "BatchControl",
    "BatchOptions",
    "BatchProgress",
    "BatchSummary",
    "Estimate",
    "ManifestEntry",
    "Progress",
    "arun",
    "estimate",
    "output_jsonl",
    "run",
]
