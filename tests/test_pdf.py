"""The PDF layer: every block renders, Unicode text survives, long tables repeat their header,
output is reproducible, page numbers use the caller's words, bad blocks are refused.

Text is read back from the PDF with a small extractor below (content streams decoded through
each font's ToUnicode map), so the tests need no PDF-reading dependency.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from riskkit.errors import RiskkitError
from riskkit.reports.pdf import (
    Bullets,
    Document,
    Heading,
    Image,
    KeyValues,
    PageBreak,
    Paragraph,
    SignatureBlock,
    Table,
    render_pdf,
    write_pdf,
)

# --------------------------------------------------------------------------------------------
# A minimal PDF text extractor, enough for fpdf2's output
# --------------------------------------------------------------------------------------------

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
_DELIMITERS = b"()<>[]{}/%"


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or None)."""
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for match in _OBJECT.finditer(pdf):
        body = match.group(2)
        head, found, rest = body.partition(b"stream")
        stream = None
        if found:
            length = int(re.search(rb"/Length (\d+)", head).group(1))  # type: ignore[union-attr]
            raw = rest.lstrip(b"\r\n")[:length] if rest[:1] in b"\r\n" else rest[:length]
            stream = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        objects[int(match.group(1))] = (head, stream)
    return objects


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """A PDF literal string starting after its '(' at i; returns its bytes and the end."""
    out, depth = bytearray(), 1
    while True:
        c = data[i]
        if c == ord("\\"):
            nxt = data[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif chr(nxt) in "01234567":
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group(0)  # type: ignore[union-attr]
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
            elif nxt in b"\r\n":
                i += 2
            else:
                out.append(nxt)
                i += 2
            continue
        if c == ord("("):
            depth += 1
        elif c == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1


def _tokens(data: bytes) -> list[object]:
    """Content-stream tokens: bytes for strings, str for names/numbers/operators, '[' and ']'."""
    tokens: list[object] = []
    i = 0
    while i < len(data):
        c = data[i : i + 1]
        if c.isspace():
            i += 1
        elif c == b"(":
            string, i = _literal(data, i + 1)
            tokens.append(string)
        elif data[i : i + 2] in (b"<<", b">>"):
            tokens.append(data[i : i + 2].decode())
            i += 2
        elif c == b"<":
            end = data.index(b">", i)
            tokens.append(bytes.fromhex(data[i + 1 : end].decode()))
            i = end + 1
        elif c in (b"[", b"]"):
            tokens.append(c.decode())
            i += 1
        else:
            j = i + 1
            while j < len(data) and not data[j : j + 1].isspace() and data[j] not in _DELIMITERS:
                j += 1
            tokens.append(data[i:j].decode("latin-1"))
            i = j
    return tokens


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(rb"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(int(dst, 16) + k)
    return mapping


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, one line per text object (BT ... ET)."""
    objects = _objects(pdf)
    catalog_pages = next(head for head, _ in objects.values() if b"/Type /Pages" in head)
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R", catalog_pages.split(b"/Kids")[1])]
    texts = []
    for page in kids:
        head = objects[page][0]
        resources = objects[int(re.search(rb"/Resources (\d+) 0 R", head).group(1))][0]  # type: ignore[union-attr]
        fonts: dict[str, dict[int, str]] = {}
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", resources):
            font = objects[int(ref)][0]
            cmap_ref = int(re.search(rb"/ToUnicode (\d+) 0 R", font).group(1))  # type: ignore[union-attr]
            fonts[name.decode()] = _to_unicode(objects[cmap_ref][1] or b"")
        content = objects[int(re.search(rb"/Contents (\d+) 0 R", head).group(1))][1] or b""  # type: ignore[union-attr]
        lines: list[str] = []
        line = ""
        font_map: dict[int, str] = {}
        operands: list[object] = []
        for token in _tokens(content):
            if isinstance(token, str) and token in ("Tf", "Tj", "TJ", "ET"):
                if token == "Tf":
                    font_map = fonts[str(operands[-2]).lstrip("/")]
                elif token in ("Tj", "TJ"):
                    for s in (o for o in operands if isinstance(o, bytes)):
                        codes = [int.from_bytes(s[k : k + 2], "big") for k in range(0, len(s), 2)]
                        line += "".join(font_map.get(code, "\ufffd") for code in codes)
                elif line:
                    lines.append(line)
                    line = ""
                operands = []
            elif isinstance(token, str) and re.fullmatch(r"[A-Za-z'\"*]+", token):
                operands = []
            else:
                operands.append(token)
        texts.append("\n".join(lines))
    return texts


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def _png(width: int = 40, height: int = 20) -> bytes:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (31, 95, 139)).save(buffer, format="PNG")
    return buffer.getvalue()


LONG_ROWS = tuple(
    (f"Grupo {i:02d}", f"{0.1 + i / 100:.2f} ± 0,02", "≥ 0,8 × referencia", "sin observación")
    for i in range(40)
)


def _document(**changes: object) -> Document:
    fields: dict[str, object] = {
        "title": "Auditoría de equidad — modelo aditivo",
        "language": "es",
        "footer": "Confidencial · uso exclusivo del personal",
        "page_label": "Página {page} de {pages}",
        "blocks": (
            Heading("Auditoría de equidad", level=1),
            Paragraph("Calibración por grupo; a razão entre taxas é de 1,2 × (região norte)."),
            Paragraph("Umbral: puntuación ≥ 0,30 — rango 0,25–0,35 · margen ± 0,02.", "small"),
            Paragraph("Herramienta de apoyo: no sustituye el juicio profesional.", "notice"),
            Heading("Resumen", level=2),
            Bullets(("Reincidência avaliada em 24 meses.", "Población: 1.204 personas.")),
            KeyValues((("Modelo", "aditivo v3"), ("Versión", "2026-01"), ("Notas", ""))),
            Heading("Tasas por grupo", level=3),
            Table(
                ("Indicador", "Tasa", "Regla", "Observación"),
                LONG_ROWS,
                column_widths=(2, 1, 1.5, 2),
                align=("left", "right", "center", "left"),
            ),
            Image(_png(), width_mm=60, caption="Figura 1 — calibración"),
            PageBreak(),
            SignatureBlock((("Profesional responsable", ""), ("Fecha", "2026-01-15"))),
        ),
    }
    fields.update(changes)
    return Document(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, list[str]]:
    pdf = render_pdf(_document())
    return pdf, page_texts(pdf)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_every_block_renders_to_a_pdf(rendered: tuple[bytes, list[str]]) -> None:
    pdf, pages = rendered
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = "\n".join(pages)
    for expected in (
        "Auditoría de equidad",
        "Reincidência avaliada em 24 meses.",
        "Modelo",
        "aditivo v3",
        "Figura 1 — calibración",
        "Profesional responsable",
        "2026-01-15",
    ):
        assert expected in text
    assert b"/Subtype /Image" in pdf


def test_accents_and_signs_are_printed(rendered: tuple[bytes, list[str]]) -> None:
    text = "\n".join(rendered[1])
    for word in ("Calibración", "razão", "região", "Población", "observación", "Versión"):
        assert word in text
    assert "1,2 × (região norte)" in text
    assert "≥ 0,30 — rango 0,25–0,35 · margen ± 0,02" in text
    assert "\ufffd" not in text


def test_long_table_spans_pages_and_repeats_its_header(rendered: tuple[bytes, list[str]]) -> None:
    pages = rendered[1]
    with_rows = [i for i, page in enumerate(pages) if "Grupo " in page]
    assert len(with_rows) >= 2
    for i in with_rows:
        assert "Indicador" in pages[i] and "Observación" in pages[i]
    assert "Grupo 00" in pages[with_rows[0]]
    assert "Grupo 39" in pages[with_rows[-1]]
    assert all(sum(f"Grupo {i:02d}" in page for page in pages) == 1 for i in range(40))


def test_page_numbers_use_the_callers_words(rendered: tuple[bytes, list[str]]) -> None:
    pages = rendered[1]
    n = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Página {number} de {n}" in page
        assert "Confidencial · uso exclusivo del personal" in page
    # the title runs at the top of every page but the first
    assert all("Auditoría de equidad — modelo aditivo" in page for page in pages[1:])


def test_same_document_gives_the_same_bytes(rendered: tuple[bytes, list[str]]) -> None:
    assert render_pdf(_document()) == rendered[0]
    assert b"/CreationDate (D:20000101000000Z)" in rendered[0]


def test_bytes_do_not_depend_on_hash_seed_or_time_zone(rendered: tuple[bytes, list[str]]) -> None:
    code = (
        "import hashlib, pickle, sys\n"
        "from riskkit.reports.pdf import render_pdf\n"
        "print(hashlib.sha256(render_pdf(pickle.load(sys.stdin.buffer))).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "America/Sao_Paulo"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(_document()),
        capture_output=True,
        check=True,
        env=env,
    )
    assert out.stdout.decode().strip() == hashlib.sha256(rendered[0]).hexdigest()


def test_creation_date_can_be_given(tmp_path: Path) -> None:
    blocks = (Paragraph("Breve."),)
    created = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    pdf = render_pdf(_document(blocks=blocks, created=created, page_label=""))
    assert b"/CreationDate (D:20260304050607Z)" in pdf
    with pytest.raises(RiskkitError, match=r"Document.created .* timezone-aware"):
        _document(blocks=blocks, created=datetime(2026, 3, 4))
    path = write_pdf(_document(blocks=blocks), tmp_path / "sub" / "informe.pdf")
    assert path == tmp_path / "sub" / "informe.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert page_texts(path.read_bytes()) == [
        "Breve.\nConfidencial · uso exclusivo del personal\nPágina 1 de 1"
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Heading("Resumen", level=5), r"Heading.level is 5 .*use 1 \(title\), 2"),
        (lambda: Paragraph("texto", style="bold"), r"Paragraph.style is 'bold'"),  # type: ignore[arg-type]
        (lambda: Table(("a", "b"), (("1",),)), r"Table.rows\[0\] has 1 cells.*header has 2"),
        (lambda: Table(("a",), ((0.5,),)), r"Table.rows\[0\]\[0\] must be a string, got 0.5"),  # type: ignore[arg-type]
        (lambda: Table(("a", "b"), (), align=("left", "middle")), r"Table.align .*'center'"),
        (lambda: Table(("a", "b"), (), column_widths=(1, 0)), r"Table.column_widths .*positive"),
        (lambda: Image(b"GIF89a", width_mm=50), r"Image.png is not a PNG file"),
        (lambda: Image(_png(), width_mm=0), r"Image.width_mm is 0"),
        (lambda: SignatureBlock(()), r"SignatureBlock.fields is empty"),
        (lambda: _document(blocks=("texto",)), r"Document.blocks\[0\] is 'texto'.*Heading"),
        (lambda: _document(page_label="Pág. {n}"), r"page_label .*\['n'\].*\{page\}"),
        (lambda: _document(language="español"), r"Document.language is 'español'"),
    ],
)
def test_bad_blocks_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(RiskkitError, match=message):
        build()


def test_importing_the_module_does_not_import_fpdf_or_matplotlib() -> None:
    code = (
        "import sys\n"
        "import riskkit.reports.pdf\n"
        "print(','.join(m for m in ('fpdf', 'matplotlib', 'PIL', 'fontTools') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
