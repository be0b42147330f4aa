"""The button of every form of the project (quiz, engagement form, the learner app's
identification): its action sees what the page showed when it was pressed.

Any button whose action reads form values must be a :class:`SubmitButton` (with
:meth:`SubmitButton.submit_on_enter` for the Enter key), never a plain ``Button`` with
``on_click``: the reason is in the class docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets


class SubmitButton(widgets.Button):
    """A button whose action reads the page's fields as they were when it was pressed.

    The race it closes (ipywidgets 8, ``WidgetModel.sync`` in ``@jupyter-widgets/base``):
    a field sends its changes as ``update`` messages, one at a time per widget; while one is
    unanswered (until the kernel's « idle » for it comes back), later changes are held back
    in the page and merged. A button's click is a ``custom`` message, sent at once: it can
    reach the kernel before a held-back change (the last digits of a number typed fast, a
    radio button changed just before « Valider »), and the kernel would act on an older
    value. Timing makes it rare, not impossible.

    So a click from the page does not act at once. The kernel sends a new token to a hidden
    widget; a link *in the page* (:func:`ipywidgets.jsdlink`) copies it to a second hidden
    widget, which sends it back. The page handles the kernel's messages in order, and the
    « idle » that releases a held-back change was published before the kernel even read
    the click (the kernel handles messages one at a time, in the order sent), hence before
    the token: the page sends every held-back change before it answers, and messages from
    the page reach the kernel in the order sent. When the token comes back, every change
    made in the page before the click has arrived: the action reads the values that were on
    the screen when the person pressed the button (a change made after the press, within
    that round trip, may be read too; an earlier value never is). Clicks pressed before the
    token comes back act once, for the last one. A click from the kernel (:meth:`click`:
    tests, notebooks) acts at once: nothing of the page is in transit then.
    """

    def __init__(self, description: str, action: Callable[[], object], **kwargs: Any) -> None:
        kwargs.setdefault("tooltip", description)
        kwargs.setdefault("button_style", "primary")
        super().__init__(description=description, **kwargs)
        self.layout.width = "auto"
        self.action = action
        self.on_click(lambda _b: self.action())
        self.pending = 0
        """The token sent for the last press from the page (0: none waited for)."""
        self._token = 0
        self._sent = widgets.IntText(value=0)
        self._echo = widgets.IntText(value=0)
        self._link = widgets.jsdlink((self._sent, "value"), (self._echo, "value"))
        self._echo.observe(self._echoed, "value")

    def submit_on_enter(self, field: widgets.Text) -> None:
        """Enter in ``field`` presses this button (once the page's changes have arrived)."""

        def on_message(_field: widgets.Widget, content: dict[str, Any], _buffers: object) -> None:
            if isinstance(content, dict) and content.get("event") == "submit":
                self.pressed_in_page()

        field.on_msg(on_message)

    def pressed_in_page(self) -> None:
        """The person pressed the button (or Enter) in the page: act once the page caught up."""
        self._token += 1
        self.pending = self._token
        self._sent.value = self._token

    def _handle_button_msg(self, _widget: widgets.Widget, content: dict[str, Any], buffers: object) -> None:
        if isinstance(content, dict) and content.get("event") == "click":
            self.pressed_in_page()

    def _echoed(self, change: dict[str, Any]) -> None:
        if not self.pending or change["new"] != self.pending:
            return  # an older token: a later press is still on its way back
        self.pending = 0
        if not self.disabled:  # disabled meanwhile: that press was sent before, already handled
            self.click()
