"""PDF reports: a tiny document model and a renderer built on fpdf2.

A :class:`Document` is a title, a language and a sequence of blocks (:class:`Heading`,
:class:`Paragraph`, :class:`Bullets`, :class:`KeyValues`, :class:`Table`, :class:`Image`,
:class:`PageBreak`, :class:`SignatureBlock`). :func:`render_pdf` lays the blocks out on A4 pages
and returns the PDF bytes; :func:`write_pdf` writes them to a file.

Why fpdf2: it is pure Python (its dependencies, Pillow, fontTools and defusedxml, are wheels),
so the PDF is built offline on any machine, without Pango/Cairo or a browser. Text is set in
DejaVu Sans, read from the TTF files that matplotlib ships (``matplotlib/mpl-data/fonts/ttf``),
so Spanish and Portuguese accents and signs such as "×", "≥", "—", "±" print correctly and no
font file is added to riskkit or downloaded.

The output is deterministic: the same document gives the same bytes. The PDF creation date is
``Document.created`` (a timezone-aware datetime), or :data:`FIXED_CREATION_DATE` when it is
``None``; fpdf2 derives the file identifier from the content and that date, and writes no other
clock value (no XMP metadata is written).

This module imports only the standard library; fpdf2 is imported inside :func:`render_pdf`, so
importing it (for instance from the command line) stays fast.
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from riskkit.errors import RiskkitError

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "FIXED_CREATION_DATE",
    "Block",
    "Bullets",
    "Document",
    "Heading",
    "Image",
    "KeyValues",
    "PageBreak",
    "Paragraph",
    "SignatureBlock",
    "Table",
    "render_pdf",
    "write_pdf",
]

#: Creation date written into every PDF whose document does not set ``created``.
FIXED_CREATION_DATE = datetime(2000, 1, 1, tzinfo=UTC)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ALIGNMENTS = {"left": "LEFT", "center": "CENTER", "right": "RIGHT"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# Layout, in millimetres and points.
_MARGIN_LEFT = 20.0
_MARGIN_RIGHT = 20.0
_MARGIN_TOP = 18.0
_MARGIN_BOTTOM = 24.0  # auto page break this far from the bottom edge; the footer sits in it
_FONT = "DejaVu"
_BODY_PT = 10.0
_SMALL_PT = 8.0
_LINE_MM = 5.0
_SMALL_LINE_MM = 4.0
_FOOTER_LINE_MM = 3.6
_HEADING_PT = {1: 16.0, 2: 13.0, 3: 11.0}
_HEADING_SPACE_BEFORE_MM = {1: 2.0, 2: 4.0, 3: 3.0}
_KEEP_WITH_NEXT_MM = 20.0  # a heading starts a new page when less than this would follow it
_TEXT = (33, 33, 33)
_GREY = (100, 100, 100)
_RULE = (160, 160, 160)
_HEADER_FILL = (221, 228, 238)
_NOTICE_FILL = (253, 243, 214)
_NOTICE_BORDER = (214, 170, 60)
_BLOCK_GAP_MM = 3.0


# --------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------


def _require_text(owner: str, name: str, value: object, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        raise RiskkitError(
            f"{owner}.{name} must be a string, got {value!r} ({type(value).__name__}); "
            "format numbers and dates into text before building the document"
        )
    if not allow_empty and not value.strip():
        raise RiskkitError(f"{owner}.{name} is empty ({value!r}); pass the text to print")


def _as_tuple(block: object, name: str, value: object) -> tuple[Any, ...]:
    owner = type(block).__name__
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise RiskkitError(
            f"{owner}.{name} must be a tuple, got {value!r} ({type(value).__name__}); "
            "pass a tuple (or list) of strings"
        )
    converted = tuple(value)
    object.__setattr__(block, name, converted)
    return converted


@dataclass(frozen=True)
class Heading:
    """A section heading.

    Parameters
    ----------
    text : str
        The heading text.
    level : {1, 2, 3}
        1 is the document title size, 2 a section, 3 a subsection.
    """

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        _require_text("Heading", "text", self.text)
        if isinstance(self.level, bool) or self.level not in _HEADING_PT:
            raise RiskkitError(
                f"Heading.level is {self.level!r} for heading {self.text!r}; "
                "use 1 (title), 2 (section) or 3 (subsection)"
            )


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text, wrapped to the page width.

    Parameters
    ----------
    text : str
        The text; ``"\\n"`` starts a new line.
    style : {"body", "small", "notice"}
        ``"body"`` is normal text, ``"small"`` is smaller grey text (sources, notes),
        ``"notice"`` is body text in a shaded, framed box (warnings, limits of use).
    """

    text: str
    style: Literal["body", "small", "notice"] = "body"

    def __post_init__(self) -> None:
        _require_text("Paragraph", "text", self.text)
        if self.style not in ("body", "small", "notice"):
            raise RiskkitError(
                f"Paragraph.style is {self.style!r}; use 'body', 'small' or 'notice'"
            )


@dataclass(frozen=True)
class Bullets:
    """A bulleted list; an empty list prints nothing.

    Parameters
    ----------
    items : tuple of str
        One string per bullet; long items wrap with a hanging indent.
    """

    items: tuple[str, ...]

    def __post_init__(self) -> None:
        for i, item in enumerate(_as_tuple(self, "items", self.items)):
            _require_text("Bullets", f"items[{i}]", item)


@dataclass(frozen=True)
class KeyValues:
    """Label–value pairs, printed as two aligned columns without borders (bold labels).

    Parameters
    ----------
    pairs : tuple of (str, str)
        ``(label, value)`` pairs, in print order. A value may be empty.
    """

    pairs: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        pairs = _as_tuple(self, "pairs", self.pairs)
        for i, pair in enumerate(pairs):
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise RiskkitError(
                    f"KeyValues.pairs[{i}] is {pair!r}; each pair must be (label, value)"
                )
            _require_text("KeyValues", f"pairs[{i}][0]", pair[0])
            _require_text("KeyValues", f"pairs[{i}][1]", pair[1], allow_empty=True)
        object.__setattr__(self, "pairs", tuple((str(k), str(v)) for k, v in pairs))


@dataclass(frozen=True)
class Table:
    """A table with a shaded header row.

    Long cell text wraps inside its column; a table longer than the page continues on the
    next page with the header row repeated. The table always spans the text width.

    Parameters
    ----------
    header : tuple of str
        Column titles.
    rows : tuple of tuple of str
        One tuple per row, as many cells as ``header``. Cells are text: format numbers
        (decimals, locale) before building the table.
    column_widths : tuple of float, optional
        Relative column widths (``(2, 1, 1)`` makes the first column half the table);
        equal widths when ``None``.
    align : tuple of {"left", "center", "right"}, optional
        Horizontal alignment per column; all ``"left"`` when ``None``.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    column_widths: tuple[float, ...] | None = None
    align: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        header = _as_tuple(self, "header", self.header)
        if not header:
            raise RiskkitError("Table.header is empty; pass one title per column")
        for j, title in enumerate(header):
            _require_text("Table", f"header[{j}]", title, allow_empty=True)
        n = len(header)
        rows = _as_tuple(self, "rows", self.rows)
        converted = []
        for i, row in enumerate(rows):
            if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != n:
                size = len(row) if isinstance(row, Sequence) else "no"
                raise RiskkitError(
                    f"Table.rows[{i}] has {size} cells, {row!r}, but the header has {n} "
                    f"columns {header!r}; give every row one cell per column"
                )
            for j, cell in enumerate(row):
                _require_text("Table", f"rows[{i}][{j}]", cell, allow_empty=True)
            converted.append(tuple(row))
        object.__setattr__(self, "rows", tuple(converted))
        if self.column_widths is not None:
            widths = _as_tuple(self, "column_widths", self.column_widths)
            if len(widths) != n or not all(
                isinstance(w, int | float) and not isinstance(w, bool) and w > 0 for w in widths
            ):
                raise RiskkitError(
                    f"Table.column_widths is {widths!r}; give {n} positive numbers "
                    "(relative widths), or None for equal columns"
                )
        if self.align is not None:
            align = _as_tuple(self, "align", self.align)
            if len(align) != n or any(a not in _ALIGNMENTS for a in align):
                raise RiskkitError(
                    f"Table.align is {align!r}; give {n} values among 'left', 'center', "
                    "'right', or None for all left"
                )


@dataclass(frozen=True)
class Image:
    """A PNG image (a plot), centred, with an optional caption below it.

    Parameters
    ----------
    png : bytes
        The PNG file content.
    width_mm : float
        Printed width in millimetres; the height follows the aspect ratio. An image wider
        than the text width, or taller than the text height, is scaled down to fit.
    caption : str
        Printed under the image in small italic text; no caption when empty.
    """

    png: bytes = field(repr=False)
    width_mm: float
    caption: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.png, bytes) or not self.png.startswith(_PNG_SIGNATURE):
            start = self.png[:8] if isinstance(self.png, bytes) else type(self.png).__name__
            raise RiskkitError(
                f"Image.png is not a PNG file (starts with {start!r}); pass the bytes of a PNG "
                "file, e.g. from matplotlib's savefig(buffer, format='png')"
            )
        if len(self.png) < 24 or _png_size(self.png)[0] == 0:
            raise RiskkitError("Image.png is a truncated PNG file; pass a complete PNG file")
        if (
            isinstance(self.width_mm, bool)
            or not isinstance(self.width_mm, int | float)
            or not self.width_mm > 0
        ):
            raise RiskkitError(
                f"Image.width_mm is {self.width_mm!r}; give a positive width in millimetres "
                "(the A4 text width is 170)"
            )
        _require_text("Image", "caption", self.caption, allow_empty=True)


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


@dataclass(frozen=True)
class SignatureBlock:
    """Lines to sign or fill in by hand: one row per field, a label and a line.

    The block is kept on one page. Labels and values print on one line each; text too long
    for its line is cut with "…".

    Parameters
    ----------
    fields : tuple of (str, str)
        ``(label, value)`` pairs, e.g. ``("Nombre del profesional", "")``. A value is printed
        on its line; an empty value leaves the line blank to be written on.
    """

    fields: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        fields = _as_tuple(self, "fields", self.fields)
        if not fields:
            raise RiskkitError("SignatureBlock.fields is empty; pass at least one (label, value)")
        for i, pair in enumerate(fields):
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise RiskkitError(
                    f"SignatureBlock.fields[{i}] is {pair!r}; each field must be (label, value) "
                    "with value '' for a blank line"
                )
            _require_text("SignatureBlock", f"fields[{i}][0]", pair[0])
            _require_text("SignatureBlock", f"fields[{i}][1]", pair[1], allow_empty=True)
        object.__setattr__(self, "fields", tuple((str(k), str(v)) for k, v in fields))


Block = Heading | Paragraph | Bullets | KeyValues | Table | Image | PageBreak | SignatureBlock
_BLOCK_TYPES = (Heading, Paragraph, Bullets, KeyValues, Table, Image, PageBreak, SignatureBlock)


@dataclass(frozen=True)
class Document:
    """A report to print.

    Parameters
    ----------
    title : str
        Document title: the PDF's title metadata, and a running header on pages after the
        first. Put a :class:`Heading` in ``blocks`` to print it on the first page.
    language : str
        BCP 47 language tag of the text (``"es"``, ``"pt-BR"``, ``"en"``), for screen readers.
    blocks : tuple of Block
        The content, in order.
    footer : str
        Printed centred at the bottom of every page (e.g. a confidentiality notice), cut to two
        lines; none if empty.
    page_label : str
        Page number printed centred under the footer on every page, a format string with the
        fields ``{page}`` and ``{pages}``, in the document's language, e.g.
        ``"Página {page} de {pages}"``. Empty for no page numbers.
    author : str
        Author metadata (e.g. the service that produced the report); none if empty.
    created : datetime, optional
        Creation date written into the PDF; timezone-aware. ``None`` writes
        :data:`FIXED_CREATION_DATE`, so that the same document gives the same bytes.
    """

    title: str
    language: str
    blocks: tuple[Block, ...]
    footer: str = ""
    page_label: str = "{page} / {pages}"
    author: str = ""
    created: datetime | None = None

    def __post_init__(self) -> None:
        _require_text("Document", "title", self.title)
        if not isinstance(self.language, str) or not _LANGUAGE.match(self.language):
            raise RiskkitError(
                f"Document.language is {self.language!r}; give a BCP 47 language tag such as "
                "'es', 'pt' or 'en'"
            )
        for i, block in enumerate(_as_tuple(self, "blocks", self.blocks)):
            if not isinstance(block, _BLOCK_TYPES):
                names = ", ".join(t.__name__ for t in _BLOCK_TYPES)
                raise RiskkitError(
                    f"Document.blocks[{i}] is {block!r} ({type(block).__name__}); "
                    f"use one of {names} from riskkit.reports.pdf"
                )
        _require_text("Document", "footer", self.footer, allow_empty=True)
        _require_text("Document", "author", self.author, allow_empty=True)
        _require_text("Document", "page_label", self.page_label, allow_empty=True)
        hint = "use the fields {page} and {pages}, e.g. 'Página {page} de {pages}'"
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.page_label)]
        except ValueError as error:
            raise RiskkitError(
                f"Document.page_label {self.page_label!r} is not a valid format string "
                f"({error}); {hint}"
            ) from error
        unknown = sorted({name for name in fields if name is not None} - {"page", "pages"})
        if unknown:
            raise RiskkitError(
                f"Document.page_label {self.page_label!r} uses the fields {unknown}, which are "
                f"not filled in; {hint}"
            )
        try:
            self.page_label.format(page=1, pages=1)
        except (ValueError, IndexError, KeyError) as error:
            raise RiskkitError(
                f"Document.page_label {self.page_label!r} cannot be formatted ({error}); {hint}"
            ) from error
        if self.created is not None and (
            not isinstance(self.created, datetime) or self.created.tzinfo is None
        ):
            raise RiskkitError(
                f"Document.created is {self.created!r}; give a timezone-aware datetime "
                "(e.g. datetime.now(UTC)), or None for the fixed date that makes output "
                "reproducible"
            )


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from the PNG header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _font_files() -> dict[str, Path]:
    """The DejaVu Sans TTF files that matplotlib ships, by fpdf style.

    Found through the import system without importing matplotlib (which is slow to import);
    this is the folder ``matplotlib.get_data_path()`` returns.
    """
    from importlib.util import find_spec

    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RiskkitError(
            "matplotlib is not installed, and the PDF reports use its DejaVu Sans fonts; "
            "install riskkit's dependencies (pip install -e .)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    files = {
        "": folder / "DejaVuSans.ttf",
        "B": folder / "DejaVuSans-Bold.ttf",
        "I": folder / "DejaVuSans-Oblique.ttf",
    }
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise RiskkitError(
            f"font files not found: {', '.join(missing)}; the PDF reports use the DejaVu Sans "
            "fonts that matplotlib ships: reinstall matplotlib (pip install --force-reinstall "
            "matplotlib)"
        )
    return files


def _make_pdf(document: Document) -> FPDF:
    from fpdf import FPDF

    title = document.title
    footer_text = document.footer
    page_label = document.page_label

    class _ReportPDF(FPDF):
        def header(self) -> None:
            if self.page_no() <= 1:
                return
            self.set_font(_FONT, "", _SMALL_PT)
            self.set_text_color(*_GREY)
            self.set_y(_MARGIN_TOP - 8.0)
            self.cell(self.epw, _SMALL_LINE_MM, _fit(self, title, self.epw), align="L")
            self.set_y(_MARGIN_TOP)

        def footer(self) -> None:
            # A rule, then the footer text (cut to two lines) and the page label, centred.
            # Centred because fpdf2 reserves the width of "000" for the page count, which it
            # only knows at the end, and prints the count left-aligned in that space: centred,
            # the unused part shifts the label by at most a digit, which the eye does not see.
            self.set_y(-_MARGIN_BOTTOM + 4.0)
            self.set_font(_FONT, "", _SMALL_PT)
            self.set_text_color(*_GREY)
            self.set_draw_color(*_RULE)
            self.set_line_width(0.2)
            self.line(self.l_margin, self.y - 1.0, self.w - self.r_margin, self.y - 1.0)
            if footer_text:
                lines = cast(
                    "list[str]",
                    self.multi_cell(
                        self.epw, _FOOTER_LINE_MM, footer_text, dry_run=True, output="LINES"
                    ),
                )
                if len(lines) > 2:
                    lines = [lines[0], _fit(self, lines[1] + " " + " ".join(lines[2:]), self.epw)]
                for text in lines:
                    self.cell(self.epw, _FOOTER_LINE_MM, text, align="C")
                    self.ln(_FOOTER_LINE_MM)
            if page_label:
                label = page_label.format(page=self.page_no(), pages=self.str_alias_nb_pages)
                self.cell(self.epw, _FOOTER_LINE_MM, label, align="C")

    pdf = _ReportPDF(orientation="portrait", unit="mm", format="A4")
    for style, path in _font_files().items():
        pdf.add_font(_FONT, style, str(path))
    pdf.set_margins(_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT)
    pdf.set_auto_page_break(True, margin=_MARGIN_BOTTOM)
    pdf.alias_nb_pages("{nb}", align="L")
    pdf.set_creation_date(document.created or FIXED_CREATION_DATE)
    pdf.set_title(document.title)
    pdf.set_lang(document.language)
    pdf.set_creator("riskkit")
    if document.author:
        pdf.set_author(document.author)
    pdf.set_display_mode(zoom="fullwidth")
    return pdf


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit on one line of ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _body(pdf: FPDF, size: float = _BODY_PT, style: str = "") -> None:
    pdf.set_font(_FONT, style, size)
    pdf.set_text_color(*_TEXT)


def _render_heading(pdf: FPDF, block: Heading) -> None:
    size = _HEADING_PT[block.level]
    line = size * 0.5
    at_top = pdf.y <= pdf.t_margin + 0.01
    if not at_top and pdf.will_page_break(
        _HEADING_SPACE_BEFORE_MM[block.level] + line + _KEEP_WITH_NEXT_MM
    ):
        pdf.add_page()
    elif not at_top:
        pdf.ln(_HEADING_SPACE_BEFORE_MM[block.level])
    _body(pdf, size, "B")
    if block.level == 1:
        pdf.set_text_color(20, 50, 90)
    pdf.multi_cell(pdf.epw, line, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
    if block.level == 1:
        pdf.set_draw_color(20, 50, 90)
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.y + 0.8, pdf.w - pdf.r_margin, pdf.y + 0.8)
        pdf.ln(2.5)
    else:
        pdf.ln(1.0)


def _render_paragraph(pdf: FPDF, block: Paragraph) -> None:
    if block.style == "small":
        pdf.set_font(_FONT, "", _SMALL_PT)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(
            pdf.epw, _SMALL_LINE_MM, block.text, align="L", new_x="LMARGIN", new_y="NEXT"
        )
    elif block.style == "notice":
        _body(pdf)
        with pdf.local_context(fill_color=_NOTICE_FILL, draw_color=_NOTICE_BORDER, line_width=0.3):
            pdf.multi_cell(
                pdf.epw,
                _LINE_MM,
                block.text,
                border=1,
                fill=True,
                align="L",
                padding=(2, 3),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    else:
        _body(pdf)
        pdf.multi_cell(pdf.epw, _LINE_MM, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(_BLOCK_GAP_MM)


def _render_bullets(pdf: FPDF, block: Bullets) -> None:
    if not block.items:
        return
    _body(pdf)
    indent, bullet_width = 2.0, 5.0
    for item in block.items:
        if pdf.will_page_break(_LINE_MM):
            pdf.add_page()
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(bullet_width, _LINE_MM, "•")
        pdf.multi_cell(
            pdf.epw - indent - bullet_width,
            _LINE_MM,
            item,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(0.8)
    pdf.ln(_BLOCK_GAP_MM - 0.8)


def _render_key_values(pdf: FPDF, block: KeyValues) -> None:
    if not block.pairs:
        return
    from fpdf.fonts import FontFace

    _body(pdf)
    bold = FontFace(emphasis="BOLD")
    with pdf.table(
        width=pdf.epw,
        col_widths=(1, 2),
        first_row_as_headings=False,
        borders_layout="NONE",
        text_align=("LEFT", "LEFT"),
        v_align="TOP",
        line_height=_LINE_MM,
        padding=(0.6, 1.0),
    ) as table:
        for key, value in block.pairs:
            row = table.row()
            row.cell(key, style=bold)
            row.cell(value)
    pdf.ln(_BLOCK_GAP_MM)


def _render_table(pdf: FPDF, block: Table) -> None:
    from fpdf.fonts import FontFace

    _body(pdf, 9.0)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    align = tuple(_ALIGNMENTS[a] for a in (block.align or ("left",) * len(block.header)))
    widths = block.column_widths or (1.0,) * len(block.header)
    with pdf.table(
        width=pdf.epw,
        col_widths=widths,
        text_align=align,
        v_align="TOP",
        line_height=4.4,
        padding=(1.0, 1.2),
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEADER_FILL),
        repeat_headings=1,
    ) as table:
        header = table.row()
        for title in block.header:
            header.cell(title)
        for cells in block.rows:
            row = table.row()
            for text in cells:
                row.cell(text)
    pdf.ln(_BLOCK_GAP_MM + 1.0)


def _render_image(pdf: FPDF, block: Image) -> None:
    pixels_w, pixels_h = _png_size(block.png)
    caption_height = _SMALL_LINE_MM * 2 + 1.0 if block.caption else 0.0
    width = min(float(block.width_mm), pdf.epw)
    height = width * pixels_h / pixels_w
    max_height = pdf.eph - caption_height - 2.0
    if height > max_height:
        width, height = width * max_height / height, max_height
    if pdf.will_page_break(height + caption_height):
        pdf.add_page()
    x = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(io.BytesIO(block.png), x=x, y=pdf.y, w=width, h=height, alt_text=block.caption)
    pdf.set_y(pdf.y + height + 1.0)
    if block.caption:
        pdf.set_font(_FONT, "I", _SMALL_PT)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(
            pdf.epw, _SMALL_LINE_MM, block.caption, align="C", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(_BLOCK_GAP_MM)


def _render_signature(pdf: FPDF, block: SignatureBlock) -> None:
    row_height = 11.0
    label_width = min(60.0, pdf.epw * 0.35)
    pdf.ln(2.0)
    if pdf.will_page_break(row_height * len(block.fields)):
        pdf.add_page()
    for label, value in block.fields:
        top = pdf.y
        baseline = top + row_height - 2.0
        pdf.set_font(_FONT, "B", 9.0)
        pdf.set_text_color(*_TEXT)
        pdf.set_xy(pdf.l_margin, baseline - _LINE_MM)
        pdf.cell(label_width, _LINE_MM, _fit(pdf, label, label_width - 2.0), align="L")
        if value:
            _body(pdf)
            pdf.set_xy(pdf.l_margin + label_width + 1.0, baseline - _LINE_MM)
            width = pdf.epw - label_width - 1.0
            pdf.cell(width, _LINE_MM, _fit(pdf, value, width - 2.0), align="L")
        pdf.set_draw_color(*_TEXT)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin + label_width, baseline, pdf.w - pdf.r_margin, baseline)
        pdf.set_xy(pdf.l_margin, top + row_height)
    pdf.ln(_BLOCK_GAP_MM)


def render_pdf(document: Document) -> bytes:
    """Lay a document out on A4 pages and return the PDF file content.

    Parameters
    ----------
    document : Document
        The report to print.

    Returns
    -------
    bytes
        The PDF file; the same document always gives the same bytes.

    Raises
    ------
    RiskkitError
        If a block is not one of this module's block types, or the fonts are missing.
    """
    if not isinstance(document, Document):
        raise RiskkitError(
            f"render_pdf expects a riskkit.reports.pdf.Document, got {type(document).__name__}; "
            "build one with Document(title, language, blocks)"
        )
    pdf = _make_pdf(document)
    pdf.add_page()
    for block in document.blocks:
        if isinstance(block, Heading):
            _render_heading(pdf, block)
        elif isinstance(block, Paragraph):
            _render_paragraph(pdf, block)
        elif isinstance(block, Bullets):
            _render_bullets(pdf, block)
        elif isinstance(block, KeyValues):
            _render_key_values(pdf, block)
        elif isinstance(block, Table):
            _render_table(pdf, block)
        elif isinstance(block, Image):
            _render_image(pdf, block)
        elif isinstance(block, PageBreak):
            pdf.add_page()
        elif isinstance(block, SignatureBlock):
            _render_signature(pdf, block)
        else:  # pragma: no cover - Document.__post_init__ rejects other objects
            raise RiskkitError(f"unknown block {block!r}; use a block from riskkit.reports.pdf")
    return bytes(pdf.output())


def write_pdf(document: Document, path: str | Path) -> Path:
    """Render a document and write it to a PDF file.

    Parameters
    ----------
    document : Document
        The report to print.
    path : str or Path
        The file to write; its folder is created if needed, an existing file is replaced.

    Returns
    -------
    Path
        The path written.
    """
    target = Path(path)
    content = render_pdf(document)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target
