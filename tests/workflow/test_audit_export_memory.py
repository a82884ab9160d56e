"""The audit export streams in constant memory: a log four times larger needs hardly more."""

import tracemalloc

from tests.audit_fill import fill
from workflow.audit_search import EXPORT_FORMATS, AuditFilters, export, search

BATCH = 50


def exported(session_factory, fmt: str, keep: bool = False) -> tuple[int, int]:
    """(bytes written, peak bytes Python allocated meanwhile) for the whole log's export;
    with `keep`, every line is kept, as building the export in memory would."""
    written, kept = 0, []
    tracemalloc.start()
    try:
        lines = EXPORT_FORMATS[fmt](export(session_factory, search(None, AuditFilters()),
                                           BATCH))
        for line in lines:
            written += len(line)
            if keep:
                kept.append(line)
        return written, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_exporting_four_times_the_log_takes_hardly_more_memory(engine, session_factory):
    fill(engine, 1_000)
    for fmt in EXPORT_FORMATS:
        exported(session_factory, fmt)  # warm: statement caches, imports
    small = {fmt: exported(session_factory, fmt) for fmt in EXPORT_FORMATS}
    # The measure can fail: keeping every line, as building the export in memory would, shows.
    written, streamed = small["jsonl"]
    assert streamed < written / 2 < exported(session_factory, "jsonl", keep=True)[1] / 2
    fill(engine, 3_000, seed=2)
    large = {fmt: exported(session_factory, fmt) for fmt in EXPORT_FORMATS}
    for fmt in EXPORT_FORMATS:
        (small_bytes, small_peak), (large_bytes, large_peak) = small[fmt], large[fmt]
        assert large_bytes > 3.5 * small_bytes
        # Memory holds a batch of rows, not the log: the peak grows by a small fraction of
        # what the larger export writes in addition (caches fill up a little), never by it.
        assert large_peak - small_peak < (large_bytes - small_bytes) / 10, (
            fmt, small_peak, large_peak, large_bytes - small_bytes)

