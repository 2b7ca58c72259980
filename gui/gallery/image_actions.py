"""Per-image actions wherever an image is shown: copy path, reveal, open, find similar, compare with….

One set of window shortcuts (the Image menu) acts on the focused image view's selection, or on the
app's selection (map clicks included) when no registered view has focus; right-clicking an image in
a registered view opens the same actions as a context menu for the image under the cursor.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lookalike.gui.state.session import Session
from PySide6.QtCore import QModelIndex, QObject, QPoint, QProcess, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QWidget

PathsOf = Callable[[list[QModelIndex]], list[str]]
MenuExtra = Callable[[QMenu, QModelIndex], None]
MAX_OPEN = 10  # opening more viewers at once than this is never what a click meant


@dataclass(frozen=True)
class ActionSpec:
    """One action: its menu text and its shortcut."""

    key: str
    text: str
    shortcut: str


SPECS = (
    ActionSpec("copy", "Copy path", "Ctrl+Shift+C"),
    ActionSpec("reveal", "Reveal in file manager", "Ctrl+Shift+R"),
    ActionSpec("open", "Open in default viewer", "Ctrl+Return"),
    ActionSpec("similar", "Find similar", "Ctrl+Shift+F"),
    ActionSpec("compare", "Compare with…", "Ctrl+Shift+M"),
)


class ImageActions(QObject):
    """The actions, their shortcuts and context menus; the app's reactions go out as signals."""

    find_similar_requested = Signal(int)  # row of the folder embeddings
    compare_requested = Signal(str, str)
    notice = Signal(str)

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.views: list[tuple[QAbstractItemView, PathsOf]] = []
        self.compare_first: str | None = None
        self.last_menu: QMenu | None = None
        self.window_actions = {s.key: self._window_action(s, parent) for s in SPECS}

    def fill_menu(self, menu: QMenu) -> None:
        """The Image menu of the menu bar: the shortcuts live here."""
        menu.addActions(list(self.window_actions.values()))
        menu.aboutToShow.connect(self._update_compare_text)

    def register(self, view: QAbstractItemView, paths_of: PathsOf, extra: MenuExtra | None = None) -> None:
        """Give an image view the context menu; `paths_of` turns its indexes into absolute paths.

        `extra(menu, index)` may add the view's own actions (e.g. pair marks) to that menu.
        """
        self.views.append((view, paths_of))
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(partial(self._context_menu, view, paths_of, extra))

    def register_widget(self, widget: QWidget) -> None:
        """A view without items (the map): its context menu acts on the app's selection."""
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        widget.customContextMenuRequested.connect(
            lambda pos: self.menu_for(self.selected_paths(), widget).popup(widget.mapToGlobal(pos))
        )

    def menu_for(self, paths: list[str], parent: QWidget | None = None) -> QMenu:
        """A context menu whose actions apply to `paths` (shortcuts shown, as in the Image menu)."""
        menu = QMenu(parent)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for spec in SPECS:
            action = menu.addAction(self._text(spec))
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutVisibleInContextMenu(True)
            action.setEnabled(bool(paths))
            action.triggered.connect(partial(self.run, spec.key, list(paths)))
        self.last_menu = menu
        return menu

    def run(self, key: str, paths: list[str]) -> None:
        """Do one action on some images (absolute paths)."""
        if not paths:
            self.notice.emit("Select an image first")
            return
        {
            "copy": self.copy_paths,
            "reveal": self.reveal,
            "open": self.open_in_viewer,
            "similar": self.find_similar,
            "compare": self.compare_with,
        }[key](paths)

    def targets(self) -> list[str]:
        """The images a shortcut acts on: the focused image view's selection, else the app's."""
        focus = QApplication.focusWidget()
        for view, paths_of in self.views:
            if focus is not None and (focus is view or view.isAncestorOf(focus)):
                return paths_of(view.selectionModel().selectedIndexes() or [view.currentIndex()])
        return self.selected_paths()

    def selected_paths(self) -> list[str]:
        """Absolute paths of the app's selection (gallery, map clicks, lasso)."""
        emb = self.session.embeddings
        return [] if emb is None else [str(emb.abs_path(r)) for r in self.session.selection]

    def copy_paths(self, paths: list[str]) -> None:
        """Absolute paths on the clipboard, one per line."""
        QGuiApplication.clipboard().setText("\n".join(paths))
        self.notice.emit(f"Copied {len(paths)} path(s)")

    def reveal(self, paths: list[str]) -> None:
        """Show the first image in the system's file manager (selected there where the OS allows)."""
        path = Path(paths[0])
        if sys.platform == "darwin":
            QProcess.startDetached("open", ["-R", str(path)])
        elif sys.platform == "win32":
            QProcess.startDetached("explorer", ["/select,", str(path)])
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    def open_in_viewer(self, paths: list[str]) -> None:
        """Open the images in the system's default viewer."""
        for path in paths[:MAX_OPEN]:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
                self.notice.emit(f"No application opens {Path(path).name}")

    def find_similar(self, paths: list[str]) -> None:
        """Select the image in the app and show its nearest neighbours."""
        row = self.row_of(paths[0])
        if row is None:
            self.notice.emit(f"{Path(paths[0]).name} is not in the open folder")
        else:
            self.find_similar_requested.emit(row)

    def compare_with(self, paths: list[str]) -> None:
        """Two images: compare them. One: remember it; the next one chosen is compared with it."""
        if len(paths) >= 2:
            first, second = paths[0], paths[1]
        elif self.compare_first is None or self.compare_first == paths[0]:
            self.compare_first = paths[0]
            self.notice.emit(f"{Path(paths[0]).name} chosen: pick another image, then Compare with… again")
            return
        else:
            first, second = self.compare_first, paths[0]
        self.compare_first = None
        self.compare_requested.emit(first, second)

    def row_of(self, path: str) -> int | None:
        """Row of an absolute path in the open folder, or None."""
        emb = self.session.embeddings
        if emb is None:
            return None
        try:
            rel = Path(path).relative_to(emb.folder).as_posix()
        except ValueError:
            return None
        return emb.paths.index(rel) if rel in emb.paths else None

    def _window_action(self, spec: ActionSpec, parent: QWidget) -> QAction:
        action = QAction(spec.text, parent)
        action.setShortcut(QKeySequence(spec.shortcut))
        action.triggered.connect(lambda: self.run(spec.key, self.targets()))
        parent.addAction(action)
        return action

    def _text(self, spec: ActionSpec) -> str:
        if spec.key == "compare" and self.compare_first is not None:
            return f"Compare with {Path(self.compare_first).name}"
        return spec.text

    def _update_compare_text(self) -> None:
        self.window_actions["compare"].setText(self._text(SPECS[-1]))

    def _context_menu(
        self, view: QAbstractItemView, paths_of: PathsOf, extra: MenuExtra | None, pos: QPoint
    ) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        selected = view.selectionModel().selectedIndexes()
        paths = paths_of(selected if index in selected else [index])
        menu = self.menu_for(paths, view)
        if extra is not None:
            extra(menu, index)
        menu.popup(view.viewport().mapToGlobal(pos))
