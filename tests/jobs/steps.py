"""Job runners for the tests: one that walks three steps, waiting for the test at each so
another connection can look at the job in between; one that fails; one that reports
progress from inside its own transaction (which must not be possible)."""

import threading

from django.db import transaction

from huzhu.jobs.kinds import JobError, JobResult
from huzhu.jobs.progress import RowLog

TOTAL = 3
reached = [threading.Event() for _ in range(TOTAL + 1)]
go = [threading.Event() for _ in range(TOTAL + 1)]


def reset() -> None:
    for event in (*reached, *go):
        event.clear()


def stepping(*, job, progress):
    progress.every = 1
    progress.start(TOTAL)
    rows = RowLog(job)
    for step in range(1, TOTAL + 1):
        rows.add(step, ok=step != 2, message="" if step != 2 else "第2行：身份证号有误")
        progress.advance()
        reached[step].set()
        if not go[step].wait(timeout=60):
            raise TimeoutError("the test did not let the job go on")
    rows.flush()
    return JobResult(
        outcome="三行已处理。", counts={"accepted": rows.accepted, "refused": rows.refused}
    )


def broken(*, job, progress):
    progress.start(10)
    return 1 // 0


def refusing(*, job, progress):
    raise JobError("文件第3行缺少身份证号。")


def progress_inside_transaction(*, job, progress):
    progress.every = 1
    progress.start(2)
    with transaction.atomic():
        progress.advance()
    return JobResult(outcome="不应到达这里。")


def interrupted(*, job, progress):
    raise KeyboardInterrupt


def fails_midway(*, job, progress):
    progress.every = 1
    progress.start(5)
    rows = RowLog(job)
    for number in (1, 2):
        rows.add(number, ok=True)
        progress.advance()
    rows.flush()
    raise RuntimeError("the disk went away")


def empty(*, job, progress):
    progress.start(0)
    return JobResult(outcome="没有需要处理的内容。")


def more_than_counted(*, job, progress):
    """A member registered between the export's count and its rows: one row more than
    the total said."""
    progress.every = 1
    progress.start(2)
    for _ in range(3):
        progress.advance()
    return JobResult(outcome="三行已处理。")
