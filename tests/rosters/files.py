"""Roster files built like the notice's 附件4: two title rows, the header, member rows,
numbered rows left empty and the closing 注 line."""

import csv
import datetime
import io

import xlsxwriter
import xlwt

from huzhu.members.rules import id_check_char

TITLE = "2022年武进区在职职工医疗互助保障参保职工汇总表"
SUBTITLE = "申请单位工会：（盖章）                    联系人：          联系电话："
HEADER = [
    "序号",
    "乡镇",
    "姓名",
    "身份证号码",
    "手机号码",
    "工作单位",
    "工会卡卡号",
    "是否参加常州基本医保",
    "备注",
]
NOTE = "注：个人缴费金额30元/人/年"
SIGNED_ON = datetime.date(2021, 11, 1)  # inside the 2022 paper and renewal windows


def id_number(n: int) -> str:
    """The n-th test ID number: the same n, the same number."""
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=n // 1000)
    first17 = f"320412{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def person(n: int, *, town: str = "湖塘镇", **overrides) -> list[object]:
    """One member row: distinct ID, phone and card per `n`."""
    values = {
        "序号": str(n),
        "乡镇": town,
        "姓名": "张" + "一二三四五六七八九十"[n % 10] + "明",
        "身份证号码": id_number(n),
        "手机号码": f"139{n:08d}",
        "工作单位": "湖塘镇甲公司",
        "工会卡卡号": f"62316688{n:011d}",
        "是否参加常州基本医保": "是",
        "备注": "",
    }
    values.update(overrides)
    return [values[column] for column in HEADER]


def sheet_rows(people: list[list[object]], *, empty_numbered: int = 2) -> list[list[object]]:
    """The whole sheet: titles, header, the people, numbered empty rows, the 注 line."""
    rows: list[list[object]] = [[TITLE], [SUBTITLE], list(HEADER), *people]
    for extra in range(empty_numbered):
        rows.append([str(len(people) + extra + 1)])
    rows.append([NOTE])
    return rows


def xlsx(rows: list[list[object]]) -> bytes:
    """Text cells, except values given as int or float (a number cell, as Excel keeps a
    number typed without formatting the column as text)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("附件4")
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value != "":
                sheet.write_string(r, c, str(value))
    book.close()
    return out.getvalue()


def xls(rows: list[list[object]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("附件4")
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([[str(v) for v in row] for row in rows])
    return out.getvalue().encode(encoding)
