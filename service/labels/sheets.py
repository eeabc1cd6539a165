"""Label stock the PDFs are laid out for. Pure code: sizes in millimetres, no I/O.

Sources (the makers' published templates; every number is a field, so other stock is one more entry):
- A4, 3 x 8 labels of 70 x 37 mm, no gaps: Avery 3474 (24 per sheet; the columns fill the 210 mm width, the
  rows leave 0.5 mm at top and bottom). Avery L7160 is the same idea at 63.5 x 38.1 mm, 3 x 7 with gutters; it
  would be ``Sheet("a4-3x7", ..., 63.5, 38.1, 3, 7, left=7.2, top=15.1, gap_x=2.5, gap_y=0)``.
- 62 mm continuous roll: Brother DK-22205 (62 mm paper tape). The Brother QL raster command reference gives
  696 printable dots at 300 dpi for 62 mm tape (about 59 mm), so 1.5 mm side margins; each label is one page
  of 62 x 29 mm, the length of Brother's own 62 mm die-cut address label (DK-11209), cut by the printer.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    left: float = 0.0
    top: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    # White space kept inside each label (printer margin on a roll, die-cut tolerance on a sheet).
    padding: float = 3.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Bottom-left corner (mm, PDF coordinates from the page's bottom-left) of label ``index`` on its page,
        filled row by row from the top left."""
        slot = index % self.per_page
        row, column = divmod(slot, self.columns)
        x = self.left + column * (self.label_width + self.gap_x)
        y_top = self.top + row * (self.label_height + self.gap_y)
        return x, self.page_height - y_top - self.label_height


SHEETS: dict[str, Sheet] = {
    sheet.key: sheet
    for sheet in (
        Sheet(
            "a4-3x8",
            "A4, 24 labels of 70 x 37 mm (Avery 3474)",
            210.0,
            297.0,
            70.0,
            37.0,
            3,
            8,
            top=0.5,
        ),
        Sheet(
            "roll-62",
            "62 mm roll, 62 x 29 mm per label (Brother DK-22205)",
            62.0,
            29.0,
            62.0,
            29.0,
            1,
            1,
            padding=1.5,
        ),
    )
}
DEFAULT_SHEET = "a4-3x8"
