"""Document photos shrunk in the browser before they are sent (SPEC C1, photos.js): a 12 MP
phone photo leaves as a JPEG of at most 1,800 px, a PDF as it was; the camera input keeps one
photo after another; the server receives what the page showed."""

import io
import json

import pytest
from PIL import Image

from tests.browser.conftest import PHONE, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.photo_urls"),
]

PDF = b"%PDF-1.4\n1 0 obj<</Type /Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

READ_FILES = """async (selector) => {
  const out = [];
  for (const file of document.querySelector(selector).files) {
    const entry = {name: file.name, type: file.type, size: file.size};
    if (file.type.startsWith("image/")) {
      const bitmap = await createImageBitmap(file);
      entry.width = bitmap.width;
      entry.height = bitmap.height;
    }
    out.push(entry);
  }
  return out;
}"""


def jpeg(tmp_path, name: str, size=(4000, 3000)) -> str:
    image = Image.new("RGB", size, "white")
    image.paste("navy", (0, 0, size[0] // 3, size[1] // 3))
    path = tmp_path / name
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    path.write_bytes(out.getvalue())
    return str(path)


def wait_for_shrinking(page):
    page.wait_for_function(
        "() => !document.querySelector('[aria-busy]')"
        " && !document.querySelector('button[type=submit]').disabled"
    )


def test_c1_a_12_megapixel_photo_leaves_the_phone_as_a_jpeg_of_at_most_1800_px(
    new_page, live_server, tmp_path
):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/test-photos/")
    gallery = page.locator("#id_invoice")
    assert gallery.get_attribute("accept") == "image/*,application/pdf"
    assert page.locator("#id_invoice-camera").get_attribute("capture") == "environment"
    pdf = tmp_path / "诊断证明.pdf"
    pdf.write_bytes(PDF)

    gallery.set_input_files([jpeg(tmp_path, "发票.jpeg"), str(pdf)])
    wait_for_shrinking(page)

    files = page.evaluate(READ_FILES, "#id_invoice")
    assert files[0]["name"] == "发票.jpg" and files[0]["type"] == "image/jpeg"
    assert (files[0]["width"], files[0]["height"]) == (1800, 1350)
    assert files[0]["size"] < 400 * 1024
    assert files[1] == {"name": "诊断证明.pdf", "type": "application/pdf", "size": len(PDF)}
    preview = page.locator("[data-shrink-preview] li")
    assert preview.count() == 2
    assert "发票.jpg" in preview.nth(0).inner_text() and "KB" in preview.nth(0).inner_text()
    assert preview.nth(0).locator("canvas").count() == 1
    assert preview.nth(1).locator("canvas").count() == 0  # a PDF: name and size only
    screenshot(page, "photo-input-phone")

    page.get_by_role("button", name="提交").click()
    received = json.loads(page.locator("body").inner_text())["files"]
    assert received[0]["format"] == "JPEG"
    assert max(received[0]["width"], received[0]["height"]) <= 1800
    assert received[1]["type"] == "application/pdf"


def test_c1_the_camera_keeps_one_photo_after_another_and_one_can_be_removed(
    new_page, live_server, tmp_path
):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/test-photos/")
    camera = page.locator("#id_invoice-camera")
    for name in ("第一页.jpg", "第二页.jpg", "第三页.jpg"):
        camera.set_input_files(jpeg(tmp_path, name, size=(3000, 4000)))
        wait_for_shrinking(page)
    names = [entry["name"] for entry in page.evaluate(READ_FILES, "#id_invoice-camera")]
    assert names == ["第一页.jpg", "第二页.jpg", "第三页.jpg"]

    page.locator("[data-shrink-preview] li").nth(1).get_by_role("button", name="移除").click()
    files = page.evaluate(READ_FILES, "#id_invoice-camera")
    assert [entry["name"] for entry in files] == ["第一页.jpg", "第三页.jpg"]
    assert all((entry["width"], entry["height"]) == (1350, 1800) for entry in files)

    page.get_by_role("button", name="提交").click()
    received = json.loads(page.locator("body").inner_text())["files"]
    assert [entry["name"] for entry in received] == ["第一页.jpg", "第三页.jpg"]


def test_c1_a_small_jpeg_is_sent_as_it_was(new_page, live_server, tmp_path):
    page = new_page(PHONE, mobile=True)
    page.goto(f"{live_server.url}/test-photos/")
    path = jpeg(tmp_path, "身份证.jpg", size=(1200, 800))
    page.locator("#id_invoice").set_input_files(path)
    wait_for_shrinking(page)
    files = page.evaluate(READ_FILES, "#id_invoice")
    assert files == [
        {
            "name": "身份证.jpg",
            "type": "image/jpeg",
            "size": len(open(path, "rb").read()),
            "width": 1200,
            "height": 800,
        }
    ]


HOLD_DECODING = """
const decode = window.createImageBitmap.bind(window);
let release;
const held = new Promise((resolve) => { release = resolve; });
window.releaseDecoding = () => release();
window.createImageBitmap = (...args) => held.then(() => decode(...args));
"""


def test_c1_the_form_cannot_be_sent_while_photos_are_shrinking(new_page, live_server, tmp_path):
    page = new_page(PHONE, mobile=True)
    page.add_init_script(HOLD_DECODING)
    page.goto(f"{live_server.url}/test-photos/")
    page.locator("#id_invoice").set_input_files(jpeg(tmp_path, "出院小结.jpg"))
    submit = page.get_by_role("button", name="提交")
    assert submit.is_disabled()
    assert page.locator("[data-shrink-preview]").inner_text() == "正在压缩照片…"
    # Nor by a submit that does not go through the button (Enter in a text field).
    page.evaluate("document.querySelector('form').requestSubmit()")
    page.wait_for_timeout(300)
    assert page.url.endswith("/test-photos/")

    page.evaluate("window.releaseDecoding()")
    wait_for_shrinking(page)
    assert submit.is_enabled()
    assert "出院小结.jpg" in page.locator("[data-shrink-preview]").inner_text()
