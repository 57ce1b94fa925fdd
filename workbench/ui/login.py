"""Log in once per notebook or dashboard session: a model, and a thin password widget over it.

:class:`Login` (no widgets; tested without a browser) opens a
:class:`~workbench.records.Store` with a user name and password, keeps the
logged-in store, and tells whoever subscribed with :meth:`Login.on_login`.
:class:`LoginPanel` shows it: user name, a password field that never echoes,
a button and a message; Enter in the password field signs in, as the button
does. The password is never kept: the field is cleared after every attempt,
whatever its outcome.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from ..errors import WorkbenchError


class Login:
    """Who is logged in to the study store, and how to log in.

    Parameters
    ----------
    url : str | None
        SQLAlchemy URL of the study database (None: the workspace's).
    workspace : path-like | None
        Workspace folder (database when ``url`` is None, and the audit key).
    open_store : callable | None
        ``open_store(url, user=..., password=..., workspace=...) -> Store``;
        default :class:`workbench.records.Store`.
    """

    def __init__(self, url: str | None = None, *, workspace=None, open_store: Callable[..., Any] | None = None) -> None:
        if open_store is None:
            from ..records import Store

            open_store = Store
        self.url = url
        self.workspace = workspace
        self._open = open_store
        self.store = None
        self.message = "Log in with your user name and password."
        self.ok: bool | None = None
        self._callbacks: list[Callable[[Any], None]] = []

    def on_login(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(store)`` after every successful login (now, if already logged in)."""
        self._callbacks.append(callback)
        if self.store is not None:
            callback(self.store)

    def login(self, user: str, password: str) -> bool:
        """Try to log in; True on success (``store`` set), else False with the reason in ``message``."""
        user = (user or "").strip()
        if not user or not password:
            self.ok, self.message = False, "Enter your user name and your password."
            return False
        try:
            store = self._open(self.url, user=user, password=password, workspace=self.workspace)
        except WorkbenchError as err:  # refused login (logged by the store), unknown schema, bad name
            self.ok, self.message = False, str(err)
            return False
        self.logout()
        self.store = store
        self.ok = True
        site = store.user.site_id or "all sites"
        self.message = f"Logged in as {store.user.name} ({store.user.role.replace('_', ' ')}, {site})."
        for callback in self._callbacks:
            callback(store)
        return True

    def logout(self) -> None:
        """Close the store, if any; the next action needs a new login."""
        if self.store is not None:
            self.store.close()
            self.store = None
            self.ok, self.message = None, "Logged out."


class LoginPanel:
    """A user name field, a password field, a button and a message, over a :class:`Login`.

    ``panel.widget`` is the box to display; ``panel.store`` the logged-in store
    (None until then); ``panel.on_login(callback)`` as :meth:`Login.on_login`.
    """

    def __init__(self, url: str | None = None, *, workspace=None, login: Login | None = None) -> None:
        import ipywidgets as widgets

        self.model = login if login is not None else Login(url, workspace=workspace)
        wide = {"description_width": "90px"}
        self.user = widgets.Text(description="User name", style=wide, continuous_update=False)
        self.password = widgets.Password(description="Password", style=wide)
        self.button = widgets.Button(description="Log in", button_style="primary", icon="sign-in")
        self.message = widgets.HTML()
        self.button.on_click(lambda _: self.submit())
        self.password.on_msg(lambda _widget, content, _buffers: self._on_password_message(content))
        self.widget = widgets.VBox([self.user, self.password, self.button, self.message])
        self._show()

    @property
    def store(self):
        return self.model.store

    def on_login(self, callback: Callable[[Any], None]) -> None:
        self.model.on_login(callback)

    def submit(self) -> bool:
        """Log in with what is typed; the password field is emptied whatever happens."""
        try:
            return self.model.login(self.user.value, self.password.value)
        finally:
            self.password.value = ""
            self._show()

    def _on_password_message(self, content) -> None:
        """Enter in the password field signs in, as on any sign-in page.

        The browser's field sends a "submit" message on Enter (ipywidgets); observing the
        value instead would also sign in whenever the field loses focus, and a click on the
        button would then try twice. An empty field is left alone (Enter pressed twice).
        """
        if isinstance(content, dict) and content.get("event") == "submit" and self.password.value:
            self.submit()

    def _show(self) -> None:
        color = {True: "#1a7f37", False: "#b42318", None: "inherit"}[self.model.ok]
        self.message.value = f'<span style="color:{color}">{html.escape(self.model.message)}</span>'
