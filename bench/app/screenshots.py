"""Run the app on the sample folder (under Xvfb) and save a PNG of each view to docs/screenshots/.

make screenshots        # = xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m bench.app.screenshots
python -m bench.app.screenshots --folder ../shared/datasets/cards --model assets/model.onnx
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lookalike.engine.model.bundled import default_model_path, sample_folder

if TYPE_CHECKING:
    from lookalike.gui.teaching.dialog import TeachDialog

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOVER = (
    "var r = document.querySelectorAll('.point')[{i}].getBoundingClientRect();"
    "document.querySelector('.nsewdrag').dispatchEvent(new MouseEvent('mousemove',"
    " {{clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}})); 1"
)


def main(argv: list[str] | None = None) -> int:
    """Drive the real window through the views, explain a pair and teach briefly; one screenshot each."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folder", type=Path, default=sample_folder())
    ap.add_argument("--model", type=Path, default=default_model_path())
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from lookalike.gui.app import create_application
    from PySide6.QtWidgets import QApplication

    create_application()
    tour = Tour(args.folder, args.model, args.out)
    tour.start()
    code = QApplication.exec()
    return code or tour.code


class Tour:
    """A chain of steps, each started by the signal that says the previous one is done."""

    def __init__(self, folder: Path, model: Path, out: Path) -> None:
        from lookalike.gui.main_window import MainWindow
        from PySide6.QtCore import QSettings

        self.folder, self.model, self.out = folder, model, out
        self.teach_minutes = 1.0
        self.code = 0
        self._settings_dir = tempfile.TemporaryDirectory(prefix="lookalike-shots-")
        os.environ["LOOKALIKE_DATA_DIR"] = self._settings_dir.name  # marks and taught models
        settings = QSettings(str(Path(self._settings_dir.name) / "settings.ini"), QSettings.Format.IniFormat)
        self.w = MainWindow(settings)
        self.w.resize(1500, 920)
        self.w.error_shown.connect(self._fail)

    def start(self) -> None:
        """Load the model and the folder; the tour goes on once pair statistics are ready."""
        self.w.show()
        self.w.session.pairs_changed.connect(self._pairs_ready)
        self.w.session.model_changed.connect(lambda _m: self.w.open_folder(self.folder))
        self.w.open_model(self.model)

    def _pairs_ready(self, pairs: object) -> None:
        if pairs is None:
            return
        self.w.session.pairs_changed.disconnect(self._pairs_ready)
        emb = self.w.session.embeddings
        assert emb is not None
        first_class = emb.labels[0]
        same = [i for i, lab in enumerate(emb.labels) if lab == first_class]
        self.w.tabs.setCurrentWidget(self.w.compare)
        self.w.compare.compared.connect(self._compared)
        self.w.compare.load("a", emb.abs_path(same[0]))
        self.w.compare.load("b", emb.abs_path(same[1]))

    def _compared(self, _d: float) -> None:
        if self.w.compare.loaded["a"] is None or self.w.compare.loaded["b"] is None:
            return
        self.w.compare.compared.disconnect(self._compared)
        self._after(600, lambda: self._shot("compare", self._explain))

    def _explain(self) -> None:
        bar = self.w.compare.pair_bar
        bar.explained.connect(lambda _e: self._after(400, lambda: self._shot("explain", self._neighbours)))
        bar.explain_button.click()

    def _neighbours(self) -> None:
        self.w.tabs.setCurrentWidget(self.w.neighbours)
        self.w.neighbours.shown.connect(self._neighbours_shown)  # they come from a worker
        self.w.session.select([len(self.w.session.embeddings or []) // 3])

    def _neighbours_shown(self) -> None:
        self.w.neighbours.shown.disconnect(self._neighbours_shown)
        self.w.neighbours.mark_neighbour(0, is_match=False)
        self._after(1500, lambda: self._shot("neighbours", self._threshold))

    def _threshold(self) -> None:
        self.w.tabs.setCurrentWidget(self.w.threshold_view)
        self._after(500, lambda: self._shot("threshold", self._duplicates))

    def _duplicates(self) -> None:
        self.w.duplicates.listed.connect(
            lambda _l: self._after(1500, lambda: self._shot("duplicates", self._map))
        )
        self.w.tabs.setCurrentWidget(self.w.duplicates)

    def _map(self) -> None:
        self.w.map.page_ready.connect(self._hover)
        self.w.tabs.setCurrentWidget(self.w.map)

    def _hover(self) -> None:
        self.w.map.bridge.thumbnailReady.connect(
            lambda *_: self._after(800, lambda: self._shot("map", self._linked_map))
        )
        self._after(
            800,
            lambda: self.w.map.page.runJavaScript(
                HOVER.replace("{i}", "7").replace("{{", "{").replace("}}", "}")
            ),
        )

    def _linked_map(self) -> None:
        """The gallery's selection on the map, points coloured by distance to it, a name searched."""
        self.w.session.select([len(self.w.session.embeddings or []) // 3])
        self.w.map.links.set_mode("distance")
        self.w.map.controls.search.setText("iso_")
        self._after(1200, lambda: self._shot("linked_map", self._teach))

    def _teach(self) -> None:
        """Teach for a short budget on the folder; grab the dialog with its before/after."""
        dialog = self.w.teaching.teach()
        assert dialog is not None
        dialog.minutes.setValue(self.teach_minutes)
        dialog.resize(720, 620)
        self.w.teacher.finished.connect(lambda _r: self._after(500, lambda: self._dialog_shot(dialog)))
        dialog.start_button.click()

    def _dialog_shot(self, dialog: TeachDialog) -> None:
        path = self.out / "teach.png"
        dialog.table.scrollToTop()  # the starting model's row
        dialog.grab().save(str(path))
        print(f"saved {path}")
        dialog.close()
        self._done()

    def _done(self) -> None:
        print(f"screenshots saved in {self.out}")
        self.w.close()

    def _shot(self, name: str, then: Callable[[], None]) -> None:
        from PySide6.QtGui import QGuiApplication

        screen = QGuiApplication.primaryScreen()
        pix = screen.grabWindow(
            0, self.w.x(), self.w.y(), self.w.frameGeometry().width(), self.w.frameGeometry().height()
        )
        if pix.isNull() or pix.width() < 10:
            pix = self.w.grab()
        path = self.out / f"{name}.png"
        pix.save(str(path))
        print(f"saved {path}")
        then()

    def _after(self, ms: int, fn: Callable[[], None]) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(ms, self.w, fn)

    def _fail(self, title: str, message: str) -> None:
        print(f"error: {title}: {message}", file=sys.stderr)
        self.code = 1
        self.w.close()


if __name__ == "__main__":
    sys.exit(main())
