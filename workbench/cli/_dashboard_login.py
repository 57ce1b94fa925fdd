"""The page a request without the dashboard's token gets: the workbench's own, not Jupyter Server's.

Loaded by the Voila server ``workbench dashboard`` starts
(``--Voila.identity_provider_class``); imports nothing of the workbench's
science stack, so the server starts as fast as before. Jupyter Server's own
page talks of "jupyter server list" and setting up a password, which means
nothing to a clinician: this one says what the page is and how to get in.
"""

from __future__ import annotations

import html

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.auth.login import LoginFormHandler

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BCI workbench dashboard: access link needed</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 640px; margin: 48px auto; color: #222; line-height: 1.5; }}
h1 {{ font-size: 22px; }} .wrong {{ color: #b42318; }}
input[type=password] {{ width: 320px; padding: 4px; }} button {{ padding: 4px 12px; }}
</style></head>
<body class="wb-token-page">
<h1>BCI workbench dashboard</h1>
{wrong}
<p>This page opens only with its access link. The link was printed when the dashboard was started
(<code>workbench dashboard</code> prints a line
"open http://&hellip;/?token=&hellip;"): open that link, or ask the person who started the dashboard for it.</p>
<p>Or paste the access token (the part after <code>token=</code>) here:</p>
<form method="post" action="{action}">
{xsrf}
<input type="password" name="password" autocomplete="off" aria-label="access token" autofocus>
<button type="submit">Open the dashboard</button>
</form>
<p>After the dashboard opens, sign in with your own workbench user name and password.</p>
</body></html>"""


class TokenPageHandler(LoginFormHandler):
    """Jupyter Server's login form, with the workbench's page instead of Jupyter's template."""

    def _render(self, message=None):
        wrong = ("<p class='wrong'>That token is not this dashboard's. Check the link, or ask for it again.</p>"
                 if message and message.get("error") else "")
        self.set_status(403)  # the page is a refusal, whatever it offers next
        self.finish(PAGE.format(wrong=wrong, action=html.escape(self.request.uri, quote=True),
                                xsrf=self.xsrf_form_html()))


class WorkbenchIdentityProvider(PasswordIdentityProvider):
    """Token access as Jupyter Server's, with :class:`TokenPageHandler` as the login page.

    Voila hands its own login handler class to the provider it builds; the
    workbench's replaces it here, after construction.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.login_handler_class = TokenPageHandler
