"""Helpers for using the window from the keyboard and with a screen reader.

Qt's own parts leave two gaps this module closes: a ``QDialogButtonBox`` places its buttons
in the platform's order but keeps Tab in the order they were made, and the clear button of a
``QLineEdit`` (``setClearButtonEnabled``) is a button with no name.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QToolButton, QWidget

__all__ = ["buttons_in_visual_order", "name_clear_button"]


def buttons_in_visual_order(box) -> None:
    """Make Tab go through the buttons of the ``QDialogButtonBox`` ``box`` left to right.

    The box shows Restore Defaults, or an added Copy, at the left on Windows and Linux, yet
    Tab went OK, Cancel, then back to the far left.  Call it once every button is in the box
    and the box is in its dialog (putting it there remakes its Tab order)."""
    lay = box.layout()
    shown = [lay.itemAt(i).widget() for i in range(lay.count())]
    buttons = [b for b in shown if b is not None and b in box.buttons()]
    for before, after in zip(buttons, buttons[1:], strict=False):
        QWidget.setTabOrder(before, after)


def name_clear_button(field: QLineEdit, name: str = "Clear") -> None:
    """Give the clear button of ``field`` a name and a tip (a screen reader said only
    "button"); call it after ``setClearButtonEnabled(True)``."""
    for action in field.actions():
        if action.objectName() == "_q_qlineeditclearaction":
            action.setText(name)
            action.setToolTip(name)
    for button in field.findChildren(QToolButton):
        if not button.accessibleName():
            button.setAccessibleName(name)
