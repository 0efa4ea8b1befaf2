"""The `huzhu` commands answer bad input in Chinese with exit status 2, never a traceback or
the C library's English ("No such file or directory", "not a gzip file")."""

import errno
import io
import os

import pytest
from django.core.management import CommandError, call_command

from huzhu.org.models import Target
from huzhu.oserrors import describe_os_error, os_error_line, returncode
from tests.test_backup import huzhu

ENGLISH = ("No such file", "Is a directory", "gzip", "Traceback", "Errno")


def refusal(*args) -> CommandError:
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 2, str(refused.value)
    assert not any(word in str(refused.value) for word in ENGLISH), str(refused.value)
    return refused.value


def test_common_os_errors_read_in_chinese_and_bad_paths_exit_2():
    cases = {
        errno.ENOENT: ("文件或文件夹不存在。", 2),
        errno.EISDIR: ("这是一个文件夹，不是文件。", 2),
        errno.ENOTDIR: ("路径中有一级不是文件夹。", 2),
        errno.EACCES: ("没有权限：运行 huzhu 的用户无权打开。", 2),
        errno.ENOSPC: ("磁盘已满。", 1),
        errno.EMFILE: ("操作系统拒绝了此操作（EMFILE）。", 1),
    }
    for code, (text, status) in cases.items():
        exc = OSError(code, "English from the C library", "/srv/x")
        assert describe_os_error(exc) == text
        assert returncode(exc) == status
    assert (
        os_error_line(FileNotFoundError(errno.ENOENT, "x", "/srv/x"))
        == "/srv/x：文件或文件夹不存在。"
    )


def test_backup_into_a_missing_folder_is_a_chinese_message_not_a_traceback(tmp_path):
    result = huzhu(tmp_path / "data", "backup", "--out", "/nonexistent/x.tar.gz")
    assert result.returncode == 2
    assert "文件夹 /nonexistent 不存在。" in result.stderr
    assert not any(word in result.stderr for word in ENGLISH), result.stderr


@pytest.mark.django_db
def test_backup_onto_a_folder_names_the_file_to_give(tmp_path):
    assert "是一个文件夹，请指定备份文件名" in str(refusal("backup", "--out", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_restore_of_a_file_that_is_no_archive_says_so_in_chinese(tmp_path):
    text = tmp_path / "notes.tar.gz"
    text.write_text("hello")
    assert "不是本系统的备份文件，或已损坏" in str(refusal("restore", str(text)))
    assert "这是一个文件夹，不是文件。" in str(refusal("restore", str(tmp_path)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [("--from", "2022", "--year", "99999"), ("--from", "99999", "--year", "2023")],
)
def test_policy_draft_for_an_impossible_year_exits_2(tmp_path, args):
    out = tmp_path / "draft.toml"
    message = str(refusal("policy", "draft", *args, "--out", str(out)))
    assert "须为 2000 至 2100 之间的年份" in message
    assert not out.exists()


@pytest.mark.django_db
def test_policy_draft_into_a_missing_folder_exits_2(tmp_path):
    out = tmp_path / "missing" / "2023.toml"
    message = str(refusal("policy", "draft", "--from", "2022", "--year", "2023", "--out", str(out)))
    assert "无法写入" in message and "文件或文件夹不存在。" in message


@pytest.mark.django_db
def test_policy_show_with_other_digits_exits_2():
    refusal("policy", "show", "²")


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["99999999999999999999", "-5", "1999"])
def test_targets_report_for_an_impossible_year_exits_2(tree, year):
    Target.objects.create(unit=tree.hutang, year=2022, target=6000)
    assert "--year 须为 2000 至 2100 之间的年份。" in str(
        refusal("targets", "report", "--year", year)
    )


@pytest.mark.django_db
def test_commands_reading_a_folder_say_so_in_chinese(tmp_path):
    assert "这是一个文件夹，不是文件。" in str(refusal("targets", "import", str(tmp_path)))
    assert "文件或文件夹不存在。" in str(refusal("calc", str(tmp_path / "cases.json")))


def test_a_file_error_no_command_expected_is_one_chinese_line(tmp_path):
    # Code run by a command opens a file without catching: the entry point answers for it.
    out = tmp_path / "missing" / "units.json"
    result = huzhu(tmp_path / "data", "shell", "--no-imports", "-c", f"open({str(out)!r}, 'w')")
    assert result.returncode == 2
    assert result.stderr == f"{out}：文件或文件夹不存在。\n"


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["payout", "deduction"])
def test_d5_c4_a_result_file_that_never_ends_or_blocks_is_refused_not_read(
    tmp_path, settings, command
):
    fifo = tmp_path / "result.fifo"
    os.mkfifo(fifo)
    assert "不是普通文件" in str(refusal(command, "apply", "/dev/zero"))
    assert "不是普通文件" in str(refusal(command, "apply", str(fifo)))
    big = tmp_path / "result.txt"
    big.write_bytes(b"x" * 2049)
    settings.HUZHU_BANK_FILE_MAX_BYTES = 2048
    assert "MB" in str(refusal(command, "apply", str(big)))
    assert "文件或文件夹不存在。" in str(refusal(command, "apply", str(tmp_path / "none.txt")))
